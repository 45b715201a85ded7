import { and, asc, eq, gt, isNotNull } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import type { RunEvent, RunEventData } from "../engine/run/events";
import { runEvents, runs } from "./schema";

/** The archived event log of a run, oldest first; empty when D1 holds none for it. */
export async function loadArchivedEvents(
	db: DrizzleD1Database,
	tenant: string,
	runId: string,
	afterSeq = 0,
	limit = 10_000,
): Promise<RunEvent[]> {
	const rows = await db
		.select({ seq: runEvents.seq, at: runEvents.at, data: runEvents.data })
		.from(runEvents)
		.innerJoin(runs, eq(runs.runId, runEvents.runId))
		.where(and(eq(runEvents.runId, runId), eq(runs.tenant, tenant), gt(runEvents.seq, afterSeq)))
		.orderBy(asc(runEvents.seq))
		.limit(limit);
	return rows.map((row) => ({
		seq: row.seq,
		at: row.at,
		data: JSON.parse(row.data) as RunEventData,
	}));
}

/** Whether D1 holds the finished run (its events may all lie before a given cursor). */
export async function isArchived(db: DrizzleD1Database, tenant: string, runId: string) {
	return (await archivedRun(db, tenant, runId)) !== null;
}

/**
 * What D1 holds of a finished, archived run: its status and the last event of its copy (null for
 * runs archived before D1 kept it); null when D1 holds no archived copy.
 */
export async function archivedRun(
	db: DrizzleD1Database,
	tenant: string,
	runId: string,
): Promise<{ status: string; seq: number | null } | null> {
	const [row] = await db
		.select({ status: runs.status, seq: runs.seq })
		.from(runs)
		.where(and(eq(runs.runId, runId), eq(runs.tenant, tenant), isNotNull(runs.archivedAt)))
		.limit(1);
	return row ?? null;
}
