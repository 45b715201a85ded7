import { type SQL, sql } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";

export interface StatsWindow {
	tenant: string;
	since?: string;
	until?: string;
}

type Percentiles<K extends string> = Record<K, number | null>;

/** The runs in the window: created in [since, until). */
function inWindow(window: StatsWindow, alias = "runs"): SQL {
	const table = sql.raw(alias);
	return sql`${table}.tenant = ${window.tenant}
		AND (${window.since ?? null} IS NULL OR ${table}.created_at >= ${window.since ?? null})
		AND (${window.until ?? null} IS NULL OR ${table}.created_at < ${window.until ?? null})`;
}

/** Nearest-rank percentile: the smallest value whose row number reaches ceil(p * n). */
function percentile(p: number): SQL {
	const rank = sql.raw(`(CAST(${p} * n AS INTEGER) + (${p} * n > CAST(${p} * n AS INTEGER)))`);
	return sql`MIN(CASE WHEN rn >= ${rank} THEN v END)`;
}

/** Run totals, durations, tool health, top errors and planners, all computed in D1. */
export async function runStats(db: DrizzleD1Database, window: StatsWindow) {
	const [byStatus, durations, tools, errors, planners, llm, llmLatency] = await Promise.all([
		db.all<{ status: string; runs: number }>(
			sql`SELECT status, count(*) AS runs FROM runs WHERE ${inWindow(window)} GROUP BY status ORDER BY status`,
		),
		db.all<Percentiles<"p50" | "p95" | "p99">>(sql`
			WITH d AS (
				SELECT duration_ms AS v, ROW_NUMBER() OVER (ORDER BY duration_ms) AS rn, COUNT(*) OVER () AS n
				FROM runs WHERE ${inWindow(window)} AND duration_ms IS NOT NULL
			)
			SELECT ${percentile(0.5)} AS p50, ${percentile(0.95)} AS p95, ${percentile(0.99)} AS p99 FROM d`),
		db.all<{
			tool: string;
			executions: number;
			failures: number;
			retries: number;
			p50: number | null;
			p95: number | null;
		}>(sql`
			WITH s AS (
				SELECT steps.tool, steps.attempts, steps.status, steps.duration_ms AS v,
					ROW_NUMBER() OVER (PARTITION BY steps.tool ORDER BY steps.duration_ms IS NULL, steps.duration_ms) AS rn,
					COUNT(steps.duration_ms) OVER (PARTITION BY steps.tool) AS n
				FROM steps JOIN runs ON runs.run_id = steps.run_id
				WHERE ${inWindow(window)}
			)
			SELECT tool, SUM(attempts) AS executions, SUM(status = 'failed') AS failures,
				SUM(MAX(attempts - 1, 0)) AS retries, ${percentile(0.5)} AS p50, ${percentile(0.95)} AS p95
			FROM s GROUP BY tool ORDER BY tool`),
		db.all<{ code: string; message: string; count: number }>(sql`
			SELECT json_extract(run_events.data, '$.error.code') AS code,
				json_extract(run_events.data, '$.error.message') AS message, count(*) AS count
			FROM run_events JOIN runs ON runs.run_id = run_events.run_id
			WHERE ${inWindow(window)} AND run_events.type IN ('step_failed', 'step_retry_scheduled')
			GROUP BY code, message ORDER BY count DESC, message LIMIT 5`),
		db.all<{ planner: string; runs: number }>(
			sql`SELECT planner, count(*) AS runs FROM runs WHERE ${inWindow(window)} GROUP BY planner ORDER BY runs DESC, planner`,
		),
		db.all<{
			attempted: number;
			fell_back: number;
			cached: number;
			prompt_tokens: number;
			completion_tokens: number;
		}>(sql`
			SELECT count(*) AS attempted, coalesce(sum(planner = 'llm→rules'), 0) AS fell_back,
				coalesce(sum(plan_cached = 1), 0) AS cached,
				coalesce(sum(llm_prompt_tokens), 0) AS prompt_tokens, coalesce(sum(llm_completion_tokens), 0) AS completion_tokens
			FROM runs WHERE ${inWindow(window)} AND planner LIKE 'llm%'`),
		db.all<Percentiles<"p50" | "p95" | "p99">>(sql`
			WITH d AS (
				SELECT llm_latency_ms AS v, ROW_NUMBER() OVER (ORDER BY llm_latency_ms) AS rn, COUNT(*) OVER () AS n
				FROM runs WHERE ${inWindow(window)} AND llm_latency_ms IS NOT NULL AND plan_cached = 0
			)
			SELECT ${percentile(0.5)} AS p50, ${percentile(0.95)} AS p95, ${percentile(0.99)} AS p99 FROM d`),
	]);
	const model = llm[0] ?? {
		attempted: 0,
		fell_back: 0,
		cached: 0,
		prompt_tokens: 0,
		completion_tokens: 0,
	};
	const modelLatency = llmLatency[0] ?? { p50: null, p95: null, p99: null };
	const statusCounts = Object.fromEntries(byStatus.map((row) => [row.status, row.runs]));
	const completed = statusCounts.completed ?? 0;
	const finished = completed + (statusCounts.failed ?? 0);
	const duration = durations[0] ?? { p50: null, p95: null, p99: null };
	return {
		since: window.since ?? null,
		until: window.until ?? null,
		runs: {
			total: byStatus.reduce((sum, row) => sum + row.runs, 0),
			by_status: statusCounts,
			success_rate: finished === 0 ? null : completed / finished,
		},
		duration_ms: { p50: duration.p50, p95: duration.p95, p99: duration.p99 },
		tools: tools.map(({ p50, p95, ...tool }) => ({ ...tool, duration_ms: { p50, p95 } })),
		top_errors: errors,
		planners,
		llm: {
			runs: model.attempted,
			fallback_rate: model.attempted === 0 ? null : model.fell_back / model.attempted,
			cache_hits: model.cached,
			tokens: {
				prompt: model.prompt_tokens,
				completion: model.completion_tokens,
				total: model.prompt_tokens + model.completion_tokens,
			},
			latency_ms: { p50: modelLatency.p50, p95: modelLatency.p95, p99: modelLatency.p99 },
		},
	};
}
