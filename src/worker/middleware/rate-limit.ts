import { createMiddleware } from "hono/factory";
import { AppError } from "../../engine/errors";
import { authRequired, limitsFor } from "../../settings";
import type { AppEnv } from "../app-env";
import type { ApiErrorCode } from "../errors";

/**
 * One token per mutating request (POST, PUT, PATCH, DELETE) from the tenant's bucket; reads are
 * free. Applies wherever keys are required: local development with auth off stays frictionless.
 */
export const rateLimit = createMiddleware<AppEnv>(async (c, next) => {
	if (
		c.req.method === "GET" ||
		c.req.method === "HEAD" ||
		c.req.method === "OPTIONS" ||
		!authRequired(c.var.settings)
	) {
		return next();
	}
	const { tenant } = c.var;
	const limiter = c.env.RATE_LIMITER.get(c.env.RATE_LIMITER.idFromName(tenant));
	const { capacity, refill_per_s } = limitsFor(c.var.settings, tenant);
	const result = await limiter.take(1, { capacity, refill_per_s });
	if (!result.allowed) {
		const seconds = Math.max(1, Math.ceil(result.retry_after_ms / 1000));
		c.header("Retry-After", String(seconds));
		throw new AppError<ApiErrorCode>(
			"rate_limited",
			`Too many requests for this tenant; retry in ${seconds} s`,
			{ retry_after_s: seconds },
		);
	}
	await next();
});
