import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { AppError } from "../engine/errors";
import { isProduction } from "../settings";
import type { AppEnv } from "./app-env";
import { handleError } from "./errors";
import { authenticate } from "./middleware/auth";
import { requireJsonBodies } from "./middleware/json-body";
import { rateLimit } from "./middleware/rate-limit";
import { requestContext } from "./middleware/request-context";
import { health } from "./routes/health";
import { runs } from "./routes/runs";
import { stats } from "./routes/stats";
import { tools } from "./routes/tools";

export const MAX_BODY_BYTES = 64 * 1024;

/** The HTTP API: one sub-app per resource, one error handler, one JSON error shape. */
export function createApp() {
	const app = new Hono<AppEnv>();
	app.use(requestId({ headerName: "X-Request-Id" }));
	app.use(requestContext);
	app.use(secureHeaders({ referrerPolicy: "no-referrer", crossOriginResourcePolicy: false }));
	app.use(async (c, next) => {
		await next();
		c.header("Cache-Control", "no-store");
	});
	app.use(
		cors({
			origin: (origin, c) => {
				const { settings } = c.var;
				// No wildcard in production: a listed "*" is ignored there.
				const allowed = settings.CORS_ORIGINS.filter(
					(listed: string) => listed !== "*" || !isProduction(settings),
				);
				return allowed.includes(origin) || allowed.includes("*") ? origin : null;
			},
			allowHeaders: [
				"Authorization",
				"Content-Type",
				"Idempotency-Key",
				"Last-Event-ID",
				"X-Request-Id",
			],
			exposeHeaders: ["X-Request-Id", "Retry-After"],
			maxAge: 600,
		}),
	);
	app.use(
		bodyLimit({
			maxSize: MAX_BODY_BYTES,
			onError: () => {
				throw new AppError("payload_too_large", `The body is larger than ${MAX_BODY_BYTES} bytes`);
			},
		}),
	);
	app.use(authenticate);
	app.use(requireJsonBodies);
	app.use(rateLimit);
	app.route("/runs", runs);
	app.route("/tools", tools);
	app.route("/health", health);
	app.route("/stats", stats);
	app.notFound((c) => {
		throw new AppError("route_not_found", `No route for ${c.req.method} ${c.req.path}`);
	});
	app.onError(handleError);
	return app;
}
