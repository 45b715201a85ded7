import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { methodNotAllowed } from "hono/method-not-allowed";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { AppError } from "../engine/errors";
import { isProduction } from "../settings";
import type { AppEnv } from "./app-env";
import { type ApiErrorCode, errorResponse, handleError } from "./errors";
import { authenticate } from "./middleware/auth";
import { requireJsonBodies } from "./middleware/json-body";
import { shedLoad } from "./middleware/load-shedding";
import { rateLimit } from "./middleware/rate-limit";
import { requestContext } from "./middleware/request-context";
import { health } from "./routes/health";
import { mcpServers } from "./routes/mcp-servers";
import { metrics } from "./routes/metrics";
import { reference } from "./routes/reference";
import { runs } from "./routes/runs";
import { stats } from "./routes/stats";
import { tools } from "./routes/tools";

export const MAX_BODY_BYTES = 64 * 1024;

/**
 * The HTTP API: one sub-app per resource, one error handler, one JSON error shape. Returns the
 * chained app, so its type (AppType) carries every route for `hc`.
 */
export function createApp() {
	const app = new Hono<AppEnv>();
	return (
		app
			.use(requestId({ headerName: "X-Request-Id" }))
			.use(requestContext)
			.use(secureHeaders({ referrerPolicy: "no-referrer", crossOriginResourcePolicy: false }))
			.use(async (c, next) => {
				await next();
				c.header("Cache-Control", "no-store");
			})
			.use(
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
						"traceparent",
						"tracestate",
					],
					exposeHeaders: ["X-Request-Id", "Retry-After", "traceparent", "X-Trace-Id"],
					maxAge: 600,
				}),
			)
			.use(
				bodyLimit({
					maxSize: MAX_BODY_BYTES,
					onError: () => {
						throw new AppError<ApiErrorCode>(
							"payload_too_large",
							`The body is larger than ${MAX_BODY_BYTES} bytes`,
						);
					},
				}),
			)
			// Every 405 comes from here: a 404 for a path some route serves under other methods.
			.use(shedLoad)
			.use(methodNotAllowed({ app, onMethodNotAllowed: refuseMethod }))
			.use(authenticate)
			.use(requireJsonBodies)
			.use(rateLimit)
			.route("/runs", runs)
			.route("/tools", tools)
			.route("/mcp-servers", mcpServers)
			.route("/health", health)
			.route("/stats", stats)
			.route("/metrics", metrics)
			.route("/", reference(app))
			// Returned, not thrown: methodNotAllowed only turns a 404 that carries no error into a 405.
			.notFound((c) =>
				errorResponse(
					c,
					new AppError<ApiErrorCode>(
						"route_not_found",
						`No route for ${c.req.method} ${c.req.path}`,
					),
				),
			)
			.onError(handleError)
	);
}

/** The app's type, for a typed client: `hc<AppType>(url)` from hono/client. */
export type AppType = ReturnType<typeof createApp>;

/**
 * 405 in the one error shape. `methods` are those the app's routes register for the path; HEAD
 * goes unlisted, as Hono answers it from every GET route.
 */
function refuseMethod(c: Context<AppEnv>, methods: string[]): Response {
	const allowed = methods.filter((method) => method !== "HEAD").sort();
	c.header("Allow", allowed.join(", "));
	return errorResponse(
		c,
		new AppError<ApiErrorCode>(
			"method_not_allowed",
			`${c.req.method} is not allowed on ${c.req.path}; use ${allowed.join(" or ")}`,
		),
	);
}
