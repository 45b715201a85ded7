import { Hono } from "hono";
import packageJson from "../../../package.json";
import { registryFor } from "../../config";
import { breakerReports } from "../../durable/tool-breakers";
import type { AppEnv } from "../app-env";
import { methodNotAllowed } from "../errors";

/** Liveness plus a D1 round trip; 503 when the archive database does not answer. */
export const health = new Hono<AppEnv>()
	.get("/", async (c) => {
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
		const breakers = await breakerReports(c.env, registryFor(c.env).names());
		return c.json(
			{
				status,
				version: packageJson.version,
				environment: c.env.ENVIRONMENT,
				checks: { d1, breakers },
			},
			status === "ok" ? 200 : 503,
		);
	})
	.all("/", methodNotAllowed(["GET"]));
