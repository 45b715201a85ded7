import { createMiddleware } from "hono/factory";
import { loggerFor } from "../../config";
import type { AppEnv } from "../app-env";

/** Binds a logger carrying the request id, and writes one access-log line per request. */
export const requestContext = createMiddleware<AppEnv>(async (c, next) => {
	const logger = loggerFor(c.env, { request_id: c.var.requestId });
	c.set("logger", logger);
	const started = Date.now();
	await next();
	logger.info("request", {
		method: c.req.method,
		path: c.req.path,
		status: c.res.status,
		duration_ms: Date.now() - started,
	});
});
