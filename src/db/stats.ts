import { and, eq, gte, lt } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import {
	combine,
	emptySpend,
	emptySummary,
	percentileOf,
	type Spend,
	type Summary,
} from "../engine/stats/summary";
import { statsContributions, statsDays, statsHours } from "./schema";

export interface StatsWindow {
	tenant: string;
	since?: string;
	until?: string;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const floorTo = (instant: string, unit: number) =>
	new Date(Math.floor(Date.parse(instant) / unit) * unit).toISOString();
const ceilTo = (instant: string, unit: number) =>
	new Date(Math.ceil(Date.parse(instant) / unit) * unit).toISOString();

/** [from, to), either end open (undefined). */
type Span = [string | undefined, string | undefined];

const isEmpty = ([from, to]: Span) => from !== undefined && to !== undefined && from >= to;

/**
 * Splits a window into the whole days inside it, the whole hours around those, and the partial
 * hours at its edges: each read from the coarsest rollup that covers it exactly.
 */
export function splitWindow(since?: string, until?: string) {
	const days: Span = [since && ceilTo(since, DAY_MS), until && floorTo(until, DAY_MS)];
	const hours: Span = [since && ceilTo(since, HOUR_MS), until && floorTo(until, HOUR_MS)];
	if (isEmpty(hours)) return { days: [], hours: [], runs: [[since, until] as Span] };
	if (isEmpty(days))
		return {
			days: [],
			hours: [hours],
			runs: [
				[since, hours[0]],
				[hours[1], until],
			] as Span[],
		};
	return {
		days: [days],
		hours: [
			[hours[0], days[0]],
			[days[1], hours[1]],
		] as Span[],
		runs: [
			[since, hours[0]],
			[hours[1], until],
		] as Span[],
	};
}

/** The rollup rows of one period table (days or hours) inside `[from, to)`. */
function periodRows(
	db: DrizzleD1Database,
	tenant: string,
	table: typeof statsDays | typeof statsHours,
	period: typeof statsDays.day | typeof statsHours.hour,
	[from, to]: Span,
) {
	// A period's key is the start of the instant's ISO form: 10 characters a day, 13 an hour.
	const key = (instant: string) => instant.slice(0, table === statsDays ? 10 : 13);
	const bounds = [eq(table.tenant, tenant)];
	if (from !== undefined) bounds.push(gte(period, key(from)));
	if (to !== undefined) bounds.push(lt(period, key(to)));
	return db
		.select({ data: table.data })
		.from(table)
		.where(and(...bounds));
}

/** The window's summary: days, then hours, then single runs, as `splitWindow` says. */
export async function windowSummary(db: DrizzleD1Database, window: StatsWindow): Promise<Summary> {
	const { tenant } = window;
	const parts = splitWindow(window.since, window.until);
	const summary = emptySummary();
	const add = (rows: ReadonlyArray<{ data: string }>) => {
		for (const row of rows) combine(summary, JSON.parse(row.data));
	};
	for (const span of parts.days) add(await periodRows(db, tenant, statsDays, statsDays.day, span));
	for (const span of parts.hours) {
		// Both ends open means whole days already cover it.
		const covered = span[0] === undefined && span[1] === undefined && parts.days.length > 0;
		if (!isEmpty(span) && !covered) {
			add(await periodRows(db, tenant, statsHours, statsHours.hour, span));
		}
	}
	for (const span of parts.runs) {
		const [from, to] = span;
		// An open end at this level was covered by a coarser one.
		if (from === undefined || to === undefined || isEmpty(span)) continue;
		const bounds = [
			eq(statsContributions.tenant, tenant),
			gte(statsContributions.createdAt, from),
			lt(statsContributions.createdAt, to),
		];
		add(
			await db
				.select({ data: statsContributions.data })
				.from(statsContributions)
				.where(and(...bounds)),
		);
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
		spend: spendOf(summary.spend ?? emptySpend()),
	};
}

/** What the window's runs spent: model tokens and cost (all rounds and llm.generate steps). */
function spendOf(spend: Spend) {
	return {
		llm_tokens: spend.llm_tokens,
		cost_usd: spend.cost_micro_usd / 1_000_000,
		agent_runs: spend.agent_runs,
		agent_rounds: spend.agent_rounds,
		budget_exceeded: spend.budget_exceeded,
	};
}
