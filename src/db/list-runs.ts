import { and, desc, eq, gt, inArray, lt, or, type SQL, sql } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { encodeCursor, type ListCursor } from "./cursor";
import { runs, steps } from "./schema";

export interface ListRunsQuery {
	tenant: string;
	statuses?: string[];
	tool?: string;
	createdAfter?: string;
	createdBefore?: string;
	q?: string;
	traceId?: string;
	limit: number;
	cursor?: ListCursor;
}

export interface RunSummary {
	run_id: string;
	prompt: string | null;
	/** The plan's goal: what a run created from a plan of your own is about. */
	goal: string;
	status: string;
	created_at: string;
	completed_at: string | null;
	duration_ms: number | null;
	step_count: number;
	error: { code: string; message: string } | null;
}

/**
 * One page of runs, newest first, by keyset: (created_at, run_id) strictly below the cursor.
 * Rows inserted while a client pages are newer than its cursor, so no row is skipped or repeated.
 */
export async function listRuns(db: DrizzleD1Database, query: ListRunsQuery) {
	const conditions: (SQL | undefined)[] = [eq(runs.tenant, query.tenant)];
	if (query.statuses?.length) conditions.push(inArray(runs.status, query.statuses));
	if (query.traceId) conditions.push(eq(runs.traceId, query.traceId));
	if (query.tool) {
		const withTool = db
			.select({ runId: steps.runId })
			.from(steps)
			.where(eq(steps.tool, query.tool));
		conditions.push(inArray(runs.runId, withTool));
	}
	if (query.createdAfter) conditions.push(gt(runs.createdAt, query.createdAfter));
	if (query.createdBefore) conditions.push(lt(runs.createdAt, query.createdBefore));
	if (query.q) {
		const pattern = `%${query.q.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
		// The trigram index answers LIKE; see migrations/0001_prompt_search.sql.
		conditions.push(
			sql`${runs}.rowid IN (SELECT rowid FROM runs_prompt_fts WHERE prompt LIKE ${pattern} ESCAPE '\\')`,
		);
	}
	const { cursor } = query;
	if (cursor) {
		conditions.push(
			or(
				lt(runs.createdAt, cursor.created_at),
				and(eq(runs.createdAt, cursor.created_at), lt(runs.runId, cursor.run_id)),
			),
		);
	}
	const rows = await db
		.select({
			run_id: runs.runId,
			prompt: runs.prompt,
			goal: runs.goal,
			status: runs.status,
			created_at: runs.createdAt,
			completed_at: runs.completedAt,
			duration_ms: runs.durationMs,
			step_count: runs.stepCount,
			error_code: runs.errorCode,
			error_message: runs.errorMessage,
		})
		.from(runs)
		.where(and(...conditions))
		.orderBy(desc(runs.createdAt), desc(runs.runId))
		.limit(query.limit + 1);
	const page = rows.slice(0, query.limit).map(
		({ error_code, error_message, ...row }): RunSummary => ({
			...row,
			error: error_code ? { code: error_code, message: error_message ?? "" } : null,
		}),
	);
	const last = page.at(-1);
	const hasMore = rows.length > query.limit;
	return {
		runs: page,
		next_cursor:
			hasMore && last ? encodeCursor({ created_at: last.created_at, run_id: last.run_id }) : null,
	};
}
