import { createMiddleware } from "hono/factory";
import { loggerFor } from "../../config";
import { formatTraceparent, parseTraceparent, requestSpan, type Span } from "../../engine/trace";
import { recordPoint } from "../../metrics";
import { settingsFor } from "../../settings";

/** The span of every request while TRACING is off: its runs record no trace. */
export const UNTRACED: Span = {
	trace_id: "0".repeat(32),
	span_id: "0".repeat(16),
	parent_span_id: null,
	sampled: false,
};

/** Random bytes as lowercase hex, for trace and span ids. */
export function randomHex(bytes: number): string {
	return [...crypto.getRandomValues(new Uint8Array(bytes))]
		.map((byte) => byte.toString(16).padStart(2, "0"))
		.join("");
}

import type { AppEnv } from "../app-env";

/**
 * Binds the settings, the request's span of its trace (a child of the caller's `traceparent`,
 * or a new trace) and a logger carrying the request id, trace id and span id; answers with the
 * trace (`traceparent`, `X-Trace-Id`); writes one access-log line per request. Invalid settings
 * throw here, before anything else runs (see handleError).
 */
export const requestContext = createMiddleware<AppEnv>(async (c, next) => {
	const settings = settingsFor(c.env);
	c.set("settings", settings);
	const tracing = settings.TRACING === "on";
	const span = tracing
		? requestSpan(
				parseTraceparent(c.req.header("traceparent")),
				randomHex,
				settings.TRACE_SAMPLE_RATE,
			)
		: UNTRACED;
	c.set("trace", span);
	const logger = loggerFor(settings, {
		request_id: c.var.requestId,
		trace_id: span.trace_id,
		span_id: span.span_id,
	});
	c.set("logger", logger);
	const started = Date.now();
	await next();
	if (tracing) c.header("traceparent", formatTraceparent(span));
	// The route's pattern, not its path: a bounded label whatever the ids in the URL.
	recordPoint(c.env, {
		kind: "http",
		tenant: c.var.tenant ?? "anonymous",
		labels: [c.req.method, c.req.routePath, String(c.res.status)],
		values: [Date.now() - started],
	});
	if (tracing) c.header("X-Trace-Id", span.trace_id);
	logger.info("request", {
		method: c.req.method,
		path: c.req.path,
		status: c.res.status,
		duration_ms: Date.now() - started,
	});
});
