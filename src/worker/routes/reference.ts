import { Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../app-env";
import { doc } from "../openapi/describe";
import { openApiDocument } from "../openapi/document";

/**
 * GET /openapi.json and GET /docs, both public. The reader is Swagger UI, served from this
 * Worker's static assets (copied from swagger-ui-dist at install), so it needs no CDN.
 */
export function reference(app: Hono<AppEnv>) {
	return new Hono<AppEnv>()
		.get(
			"/openapi.json",
			doc({
				summary: "This API's OpenAPI 3.1 document",
				tags: ["Reference"],
				open: true,
				ok: { status: 200, description: "The document" },
			}),
			async (c) => c.json(await openApiDocument(app)),
		)
		.get(
			"/docs",
			doc({
				summary: "The API reference, rendered from /openapi.json",
				tags: ["Reference"],
				open: true,
				ok: { status: 200, description: "An HTML page", media: "text/html" },
			}),
			(c) =>
				c.html(html`<!doctype html>
<html lang="en">
	<head>
		<meta charset="utf-8" />
		<meta name="viewport" content="width=device-width, initial-scale=1" />
		<title>API reference · Edge agent runtime</title>
		<link rel="icon" href="/viewer/icon.svg" />
		<link rel="stylesheet" href="/vendor/swagger-ui/swagger-ui.css" />
	</head>
	<body>
		<div id="reference"></div>
		<script src="/vendor/swagger-ui/swagger-ui-bundle.js"></script>
		<script src="/viewer/reference.js"></script>
	</body>
</html>`),
		);
}
