import { drizzle } from "drizzle-orm/d1";
import { Hono } from "hono";
import { registryFor } from "../../config";
import { windowSummary } from "../../db/stats";
import { breakerReports } from "../../durable/tool-breakers";
import { prometheusText } from "../../engine/stats/prometheus";
import type { AppEnv } from "../app-env";
import { doc } from "../openapi/describe";
import { MetricsSchema } from "../openapi/schemas";

/**
 * GET /metrics: the caller's run statistics and the tools' breakers in the Prometheus text
 * format, behind auth like every other route. Read from the day rollups and the breaker objects,
 * so a scrape costs a few rows however long the history.
 */
const described = doc({
	summary: "Run and breaker metrics in the Prometheus text format",
	tags: ["Operations"],
	ok: { status: 200, description: "The metrics", schema: MetricsSchema, media: "text/plain" },
});

export const metrics = new Hono<AppEnv>().get("/", described, async (c) => {
	const { settings } = c.var;
	const tools = registryFor(settings).names();
	const [summary, breakers] = await Promise.all([
		windowSummary(drizzle(c.env.DB), { tenant: c.var.tenant }),
		breakerReports(c.env, settings, tools),
	]);
	const gauges = tools.flatMap((tool) => {
		const report = breakers[tool];
		return report ? [{ tool, status: report.status, opened: report.counters.opened }] : [];
	});
	return c.body(prometheusText(summary, gauges), 200, {
		"Content-Type": "text/plain; version=0.0.4; charset=utf-8",
	});
});
