/**
 * Statistics rollups, maintained at archive time so that /stats reads a few rows per hour of
 * history instead of every run. Each run's summary is kept (stats_contributions); an hour's row
 * (stats_hours) is the sum of its runs'. Writing a run again replaces its contribution: the hour
 * loses the old one and gains the new, so a run written live, then finished, then retried and
 * finished again counts once, as it last stood. The read-modify-write is safe because the one
 * writer, the run-archive consumer, handles one batch at a time (max_concurrency = 1).
 */
import { and, eq, inArray, or } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import type { RunEvent } from "../engine/run/events";
import type { RunState } from "../engine/run/state";
import { combine, emptySummary, type Summary, summaryOf } from "../engine/stats/summary";
import { statsContributions, statsHours } from "./schema";

/** The hour a run counts in: its created_at's date and hour. */
export const hourOf = (createdAt: string) => createdAt.slice(0, 13);

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
	const keys = [
		...new Set(runs.map(({ state }) => `${state.tenant}\u0000${hourOf(state.created_at)}`)),
	];
	const hours = new Map<string, Summary>();
	// D1 binds at most 100 parameters per statement; a key takes 2.
	for (let start = 0; start < keys.length; start += 40) {
		const matches = keys.slice(start, start + 40).map((key) => {
			const [tenant = "", hour = ""] = key.split("\u0000");
			return and(eq(statsHours.tenant, tenant), eq(statsHours.hour, hour));
		});
		for (const row of await db
			.select()
			.from(statsHours)
			.where(or(...matches))) {
			hours.set(`${row.tenant}\u0000${row.hour}`, JSON.parse(row.data));
		}
	}
	const contributions = [];
	for (const { state, events } of runs) {
		const key = `${state.tenant}\u0000${hourOf(state.created_at)}`;
		const hour = hours.get(key) ?? emptySummary();
		const before = previous.get(state.run_id);
		if (before) combine(hour, before, -1);
		const now = summaryOf(state, events);
		combine(hour, now);
		hours.set(key, hour);
		previous.set(state.run_id, now);
		contributions.push({
			runId: state.run_id,
			tenant: state.tenant,
			createdAt: state.created_at,
			data: JSON.stringify(now),
		});
	}
	return [
		...contributions.map((row) =>
			db
				.insert(statsContributions)
				.values(row)
				.onConflictDoUpdate({ target: statsContributions.runId, set: { data: row.data } }),
		),
		...[...hours].map(([key, summary]) => {
			const [tenant = "", hour = ""] = key.split("\u0000");
			const data = JSON.stringify(summary);
			return db
				.insert(statsHours)
				.values({ tenant, hour, data })
				.onConflictDoUpdate({ target: [statsHours.tenant, statsHours.hour], set: { data } });
		}),
	];
}
