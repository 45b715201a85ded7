/**
 * Statistics rollups, maintained at archive time so that /stats reads a row per day (and per hour
 * at a window's edges) instead of every run. Each run's summary is kept (stats_contributions); a
 * day's row (stats_days) and an hour's (stats_hours) are the sums of their runs'. Writing a run again replaces its contribution: the hour
 * loses the old one and gains the new, so a run written live, then finished, then retried and
 * finished again counts once, as it last stood. The read-modify-write is safe because the one
 * writer, the run-archive consumer, handles one batch at a time (max_concurrency = 1).
 */
import { inArray, sql } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import type { RunEvent } from "../engine/run/events";
import type { RunState } from "../engine/run/state";
import { combine, emptySummary, type Summary, summaryOf } from "../engine/stats/summary";
import { statsContributions, statsDays, statsHours } from "./schema";

/** The periods rolled up: a run counts in its created_at's hour and in its day. */
const PERIODS = [
	{ table: "stats_hours", column: "hour", length: 13 },
	{ table: "stats_days", column: "day", length: 10 },
] as const;

/** The statements that fold these runs into the rollups, replacing earlier contributions. */
export async function rollupStatements(
	db: DrizzleD1Database,
	runs: ReadonlyArray<{ state: RunState; events?: readonly RunEvent[] }>,
) {
	if (runs.length === 0) return [];
	const ids = runs.map(({ state }) => state.run_id);
	const previous = new Map<string, Summary>();
	for (let start = 0; start < ids.length; start += 90) {
		const chunk = ids.slice(start, start + 90);
		const rows = await db
			.select()
			.from(statsContributions)
			.where(inArray(statsContributions.runId, chunk));
		for (const row of rows) previous.set(row.runId, JSON.parse(row.data));
	}
	const now = runs.map(({ state, events }) => ({ state, summary: summaryOf(state, events) }));
	const statements = [];
	for (const period of PERIODS) {
		const keyOf = (state: RunState) =>
			`${state.tenant}\u0000${state.created_at.slice(0, period.length)}`;
		const totals = await readPeriods(db, period, [
			...new Set(runs.map(({ state }) => keyOf(state))),
		]);
		const seen = new Map(previous);
		for (const { state, summary } of now) {
			const total = totals.get(keyOf(state)) ?? emptySummary();
			const before = seen.get(state.run_id);
			if (before) combine(total, before, -1);
			totals.set(keyOf(state), combine(total, summary));
			seen.set(state.run_id, summary);
		}
		for (const [key, summary] of totals) {
			const [tenant = "", at = ""] = key.split("\u0000");
			statements.push(upsertPeriod(db, period, tenant, at, JSON.stringify(summary)));
		}
	}
	const contributions = new Map(
		now.map(({ state, summary }) => [state.run_id, { state, summary }]),
	);
	for (const { state, summary } of contributions.values()) {
		const row = {
			runId: state.run_id,
			tenant: state.tenant,
			createdAt: state.created_at,
			data: JSON.stringify(summary),
		};
		statements.push(
			db
				.insert(statsContributions)
				.values(row)
				.onConflictDoUpdate({ target: statsContributions.runId, set: { data: row.data } }),
		);
	}
	return statements;
}

function upsertPeriod(
	db: DrizzleD1Database,
	period: (typeof PERIODS)[number],
	tenant: string,
	at: string,
	data: string,
) {
	return period.table === "stats_hours"
		? db
				.insert(statsHours)
				.values({ tenant, hour: at, data })
				.onConflictDoUpdate({ target: [statsHours.tenant, statsHours.hour], set: { data } })
		: db
				.insert(statsDays)
				.values({ tenant, day: at, data })
				.onConflictDoUpdate({ target: [statsDays.tenant, statsDays.day], set: { data } });
}

/** The current totals of these `tenant\u0000period` keys. */
async function readPeriods(
	db: DrizzleD1Database,
	period: (typeof PERIODS)[number],
	keys: readonly string[],
): Promise<Map<string, Summary>> {
	const totals = new Map<string, Summary>();
	// D1 binds at most 100 parameters per statement; a key takes 2.
	for (let start = 0; start < keys.length; start += 40) {
		const matches = keys.slice(start, start + 40).map((key) => {
			const [tenant = "", at = ""] = key.split("\u0000");
			return sql`(tenant = ${tenant} AND ${sql.identifier(period.column)} = ${at})`;
		});
		const rows = await db.all<{ tenant: string; at: string; data: string }>(
			sql`SELECT tenant, ${sql.identifier(period.column)} AS at, data FROM ${sql.identifier(period.table)}
				WHERE ${sql.join(matches, sql` OR `)}`,
		);
		for (const row of rows) totals.set(`${row.tenant}\u0000${row.at}`, JSON.parse(row.data));
	}
	return totals;
}
