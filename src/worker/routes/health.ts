import { type Context, Hono } from "hono";
import packageJson from "../../../package.json";
import { registryFor } from "../../config";
import { breakerReports } from "../../durable/tool-breakers";
import type { AppEnv } from "../app-env";
import { doc } from "../openapi/describe";
import { ChecksSchema, HealthSchema } from "../openapi/schemas";

/**
 * GET /health is liveness for load balancers and uptime checks: public (the auth middleware lets
 * exactly this path through), constant-time, touching nothing. GET /health/checks, behind auth
 * like every other route, adds a D1 round trip and each tool's breaker.
 */
export const health = new Hono<AppEnv>()
	.get(
		"/",
		doc({
			summary: "Liveness: public, constant-time, touching nothing",
			tags: ["Operations"],
			open: true,
			ok: { status: 200, description: "Alive", schema: HealthSchema },
			errors: ["overloaded"],
		}),
		(c) => c.json({ status: "ok", version: packageJson.version }),
	)
	.get(
		"/checks",
		doc({
			summary: "Readiness: D1 answers, and each tool's breaker",
			tags: ["Operations"],
			ok: [
				{ status: 200, description: "Ready", schema: ChecksSchema },
				{ status: 503, description: "D1 did not answer", schema: ChecksSchema },
			],
		}),
		(c) => checks(c),
	);

/** The readiness report: D1 answers, and how each tool's breaker stands. */
async function checks(c: Context<AppEnv>) {
	const started = Date.now();
	let d1: { status: "ok" | "error"; latency_ms: number; error?: string };
	try {
		await c.env.DB.prepare("SELECT 1").first();
		d1 = { status: "ok", latency_ms: Date.now() - started };
	} catch (error) {
		c.var.logger.warn("health check: D1 failed", { error: String(error) });
		d1 = { status: "error", latency_ms: Date.now() - started, error: "D1 did not answer" };
	}
	const status = d1.status === "ok" ? "ok" : "degraded";
	// An open breaker is a tool's outage, not the runtime's: it is shown, not made a 503.
	const breakers = await breakerReports(c.env, c.var.settings, registryFor(c.var.settings).names());
	return c.json(
		{
			status,
			version: packageJson.version,
			environment: c.var.settings.ENVIRONMENT,
			checks: { d1, breakers },
		},
		status === "ok" ? 200 : 503,
	);
}
