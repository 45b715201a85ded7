import { createMiddleware } from "hono/factory";
import { AppError } from "../../engine/errors";
import type { AppEnv } from "../app-env";
import type { ApiErrorCode } from "../errors";

/** Requests this isolate is answering now. */
let inFlight = 0;

/**
 * Past capacity, answer at once and honestly instead of letting every request queue behind the
 * others: 503 `overloaded` with `Retry-After`, before any work (auth, D1, a Durable Object).
 * `/health` is never shed, so liveness checks keep answering during overload.
 */
export const shedLoad = createMiddleware<AppEnv>(async (c, next) => {
	if (c.req.path === "/health") return next();
	const limit = c.var.settings.MAX_IN_FLIGHT;
	if (limit > 0 && inFlight >= limit) {
		c.header("Retry-After", "1");
		throw new AppError<ApiErrorCode>(
			"overloaded",
			`This server is answering ${inFlight} requests; retry in 1 s`,
			{ retry_after_s: 1 },
		);
	}
	inFlight += 1;
	try {
		await next();
	} finally {
		inFlight -= 1;
	}
});
