import { createMiddleware } from "hono/factory";
import { loggerFor } from "../../config";
import { settingsFor } from "../../settings";
import type { AppEnv } from "../app-env";

/**
 * Binds the settings and a logger carrying the request id, and writes one access-log line per
 * request. Invalid settings throw here, before anything else runs (see handleError).
 */
export const requestContext = createMiddleware<AppEnv>(async (c, next) => {
	const settings = settingsFor(c.env);
	c.set("settings", settings);
	const logger = loggerFor(settings, { request_id: c.var.requestId });
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
