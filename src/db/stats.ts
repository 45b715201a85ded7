import { and, eq, gte, lt, type SQL } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { combine, emptySummary, percentileOf, type Summary } from "../engine/stats/summary";
import { hourOf } from "./rollups";
import { statsContributions, statsHours } from "./schema";

export interface StatsWindow {
	tenant: string;
	since?: string;
	until?: string;
}

const HOUR_MS = 3_600_000;

/** The start of the hour that `instant` falls in, or that `instant` is, as an ISO string. */
function hourFloor(instant: string): string {
	return new Date(Math.floor(Date.parse(instant) / HOUR_MS) * HOUR_MS).toISOString();
}

function hourCeil(instant: string): string {
	return new Date(Math.ceil(Date.parse(instant) / HOUR_MS) * HOUR_MS).toISOString();
}

/**
 * The window's summary: whole hours from stats_hours, and the runs of a partly covered hour at
 * either edge from their own contributions, so a window need not fall on hour boundaries.
 */
async function windowSummary(db: DrizzleD1Database, window: StatsWindow): Promise<Summary> {
	const { tenant, since, until } = window;
	const fullFrom = since === undefined ? undefined : hourCeil(since);
	const fullTo = until === undefined ? undefined : hourFloor(until);
	const summary = emptySummary();
	const hourBounds: SQL[] = [];
	if (fullFrom !== undefined) hourBounds.push(gte(statsHours.hour, hourOf(fullFrom)));
	if (fullTo !== undefined) hourBounds.push(lt(statsHours.hour, hourOf(fullTo)));
	const noFullHour = fullFrom !== undefined && fullTo !== undefined && fullFrom >= fullTo;
	if (!noFullHour) {
		const hours = await db
			.select({ data: statsHours.data })
			.from(statsHours)
			.where(and(eq(statsHours.tenant, tenant), ...hourBounds));
		for (const row of hours) combine(summary, JSON.parse(row.data));
	}
	const edges: Array<[string | undefined, string | undefined]> = noFullHour
		? [[since, until]]
		: [
				[since, fullFrom],
				[fullTo, until],
			];
	for (const [from, to] of edges) {
		if (from === undefined || to === undefined || from >= to) continue;
		const runs = await db
			.select({ data: statsContributions.data })
			.from(statsContributions)
			.where(
				and(
					eq(statsContributions.tenant, tenant),
					gte(statsContributions.createdAt, from),
					lt(statsContributions.createdAt, to),
				),
			);
		for (const row of runs) combine(summary, JSON.parse(row.data));
	}
	return summary;
}

/** Run totals, durations, tool health, top errors, planners and the LLM, from the rollups. */
export async function runStats(db: DrizzleD1Database, window: StatsWindow) {
	const summary = await windowSummary(db, window);
	const byStatus = Object.fromEntries(
		Object.entries(summary.runs).sort(([a], [b]) => a.localeCompare(b)),
	);
	const completed = byStatus.completed ?? 0;
	const finished = completed + (byStatus.failed ?? 0);
	const p = (histogram: Summary["duration"], at: number) => percentileOf(histogram, at);
	const { llm } = summary;
	return {
		since: window.since ?? null,
		until: window.until ?? null,
		runs: {
			total: Object.values(byStatus).reduce((sum, count) => sum + count, 0),
			by_status: byStatus,
			success_rate: finished === 0 ? null : completed / finished,
		},
		duration_ms: {
			p50: p(summary.duration, 0.5),
			p95: p(summary.duration, 0.95),
			p99: p(summary.duration, 0.99),
		},
		tools: Object.entries(summary.tools)
			.sort(([a], [b]) => a.localeCompare(b))
			.map(([tool, { executions, failures, retries, duration }]) => ({
				tool,
				executions,
				failures,
				retries,
				duration_ms: { p50: p(duration, 0.5), p95: p(duration, 0.95) },
			})),
		top_errors: Object.entries(summary.errors)
			.map(([key, count]) => {
				const [code = "", message = ""] = key.split("\u0000");
				return { code, message, count };
			})
			.sort((a, b) => b.count - a.count || a.message.localeCompare(b.message))
			.slice(0, 5),
		planners: Object.entries(summary.planners)
			.map(([planner, runs]) => ({ planner, runs }))
			.sort((a, b) => b.runs - a.runs || a.planner.localeCompare(b.planner)),
		llm: {
			runs: llm.runs,
			fallback_rate: llm.runs === 0 ? null : llm.fell_back / llm.runs,
			cache_hits: llm.cached,
			tokens: {
				prompt: llm.prompt,
				completion: llm.completion,
				total: llm.prompt + llm.completion,
			},
			latency_ms: {
				p50: p(summary.llm_latency, 0.5),
				p95: p(summary.llm_latency, 0.95),
				p99: p(summary.llm_latency, 0.99),
			},
		},
	};
}
