import { eq } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import type { RunState } from "../engine/run/state";
import { runs, steps } from "./schema";

/**
 * Writes a finished run and its steps in one D1 batch, which D1 applies as one transaction.
 * Upserting makes a repeated write (the outbox retrying after a lost acknowledgement) harmless.
 */
export async function archiveRun(db: DrizzleD1Database, state: RunState, archivedAt: string) {
	const row = {
		runId: state.run_id,
		tenant: state.tenant,
		prompt: state.prompt,
		goal: state.plan.goal,
		status: state.status,
		planner: state.plan.planner,
		stepCount: state.execution_log.length,
		result: JSON.stringify(state.result),
		errorCode: state.error?.code ?? null,
		errorMessage: state.error?.message ?? null,
		createdAt: state.created_at,
		startedAt: state.started_at,
		completedAt: state.completed_at,
		durationMs: state.completed_at
			? Date.parse(state.completed_at) - Date.parse(state.created_at)
			: null,
		archivedAt,
	};
	const { runId: _runId, ...update } = row;
	const stepRows = state.execution_log.map((step) => ({
		runId: state.run_id,
		stepNumber: step.step_number,
		tool: step.tool,
		status: step.status,
		input: JSON.stringify(step.input),
		output: step.output === null ? null : JSON.stringify(step.output),
		errorCode: step.error?.code ?? null,
		errorMessage: step.error?.message ?? null,
		attempts: step.attempts,
		startedAt: step.started_at,
		completedAt: step.completed_at,
		durationMs: step.duration_ms,
	}));
	// One statement per step: D1 binds at most 100 parameters per statement.
	await db.batch([
		db.insert(runs).values(row).onConflictDoUpdate({ target: runs.runId, set: update }),
		db.delete(steps).where(eq(steps.runId, state.run_id)),
		...stepRows.map((step) => db.insert(steps).values(step)),
	]);
}
