import { createMiddleware } from "hono/factory";
import { AppError } from "../../engine/errors";
import type { AppEnv } from "../app-env";
import type { ApiErrorCode } from "../errors";

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * Every body this API takes is JSON. A body sent with another content type (curl -d sends
 * application/x-www-form-urlencoded) is refused with 415, never parsed as nothing: a cancel
 * that silently dropped `"compensate": true` would be worse than an error.
 */
export const requireJsonBodies = createMiddleware<AppEnv>(async (c, next) => {
	const length = c.req.header("Content-Length");
	const hasBody = (length !== undefined && length !== "0") || c.req.header("Transfer-Encoding");
	if (hasBody && !JSON_TYPE.test(c.req.header("Content-Type") ?? "")) {
		throw new AppError<ApiErrorCode>(
			"unsupported_media_type",
			`Send the body as JSON with Content-Type: application/json (got ${c.req.header("Content-Type") ?? "no Content-Type"})`,
		);
	}
	await next();
});
