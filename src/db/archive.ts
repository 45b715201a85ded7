import { inArray, sql } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import type { RunEvent } from "../engine/run/events";
import type { RunState } from "../engine/run/state";
import { rollupStatements } from "./rollups";
import { runEvents, runs, steps } from "./schema";

// D1 binds at most 100 parameters per statement: an event row takes 5, a step row 12.
const EVENTS_PER_STATEMENT = 20;
const STEPS_PER_STATEMENT = 8;
const RUN_IDS_PER_STATEMENT = 100;

export interface ArchiveOptions {
	/** The full log, written with the final state; omitted for the row written at start. */
	events?: readonly RunEvent[];
	archivedAt?: string;
}

/**
 * Runs per D1 batch: about 50 statements for 3-step runs. Each run's rows are replaced within
 * one batch (one transaction), so a reader never sees a run between its steps' delete and insert.
 */
const RUNS_PER_BATCH = 25;

/** One run to write: its state, and with `events` and `archivedAt` its final copy. */
export interface RunWrite extends ArchiveOptions {
	state: RunState;
}

/**
 * Writes runs' rows and steps, for finished ones their event logs, and the statistics rollups,
 * in as few D1 batches as fit; answers the writes that were each run's newest copy, the ones
 * written. Every statement is an upsert or a replace, and a run's rollup contribution replaces
 * its earlier one, so repeating a write is harmless.
 */
export function writeRuns(db: DrizzleD1Database, writes: readonly RunWrite[]): Promise<RunWrite[]> {
	const write = writing.then(() => writeNow(db, writes));
	writing = write.catch(() => undefined);
	return write;
}

/**
 * The rollups are read, changed and written back, so writes must not interleave. The queue runs
 * one consumer batch at a time (max_concurrency = 1); this chain also orders writes that share an
 * isolate, such as a test archiving a run while the real consumer archives another.
 */
let writing: Promise<unknown> = Promise.resolve();

async function writeNow(db: DrizzleD1Database, all: readonly RunWrite[]) {
	const writes = await newest(db, all);
	// The rollups go in the last batch, all together: if it fails, none of them lands, and the
	// retry computes them again from the contributions as they were.
	const rollups = await rollupStatements(db, writes);
	const groups = chunks(writes, RUNS_PER_BATCH);
	for (const [index, group] of groups.entries()) {
		const statements = archiveStatements(db, group);
		const [first, ...rest] = index === groups.length - 1 ? [...statements, ...rollups] : statements;
		if (first) await db.batch([first, ...rest]);
	}
	return writes;
}

/**
 * The writes that are each run's newest copy: the queue delivers at least once and in no set
 * order, so a run's live copy can arrive after its final one, or a copy from before a retry after
 * the retried run's. Equal seqs are a redelivery and are written again, harmlessly.
 */
async function newest(db: DrizzleD1Database, writes: readonly RunWrite[]): Promise<RunWrite[]> {
	const latest = new Map<string, RunWrite>();
	for (const write of writes) {
		const seen = latest.get(write.state.run_id);
		if (!seen || seen.state.seq <= write.state.seq) latest.set(write.state.run_id, write);
	}
	const stored = new Map<string, number>();
	for (const ids of chunks([...latest.keys()], RUN_IDS_PER_STATEMENT)) {
		const rows = await db
			.select({ runId: runs.runId, seq: runs.seq })
			.from(runs)
			.where(inArray(runs.runId, ids));
		for (const { runId, seq } of rows) if (seq !== null) stored.set(runId, seq);
	}
	return [...latest.values()].filter(({ state }) => (stored.get(state.run_id) ?? -1) <= state.seq);
}

/** Writes one run: a convenience over writeRuns. */
export async function writeRun(
	db: DrizzleD1Database,
	state: RunState,
	options: ArchiveOptions = {},
) {
	await writeRuns(db, [{ state, ...options }]);
}

/**
 * Every run's row first (steps and events reference it), then the steps and the events of all
 * the runs together in multi-row statements: 25 three-step runs take about 48 statements, not
 * 150.
 */
function archiveStatements(db: DrizzleD1Database, writes: readonly RunWrite[]) {
	const runIds = writes.map(({ state }) => state.run_id);
	const stepRows = writes.flatMap(({ state }) => state.execution_log.map(stepRow(state)));
	const eventRows = writes.flatMap(({ state, events = [] }) => events.map(eventRow(state)));
	return [
		...writes.map(({ state, archivedAt }) => {
			const row = runRow(state, archivedAt);
			const { runId: _runId, ...update } = row;
			// The check in `newest` relies on one writer at a time; this one holds regardless.
			return db.insert(runs).values(row).onConflictDoUpdate({
				target: runs.runId,
				set: update,
				setWhere: sql`"runs"."seq" IS NULL OR excluded."seq" >= "runs"."seq"`,
			});
		}),
		...chunks(runIds, RUN_IDS_PER_STATEMENT).map((ids) =>
			db.delete(steps).where(inArray(steps.runId, ids)),
		),
		...chunks(stepRows, STEPS_PER_STATEMENT).map((rows) => db.insert(steps).values(rows)),
		...chunks(eventRows, EVENTS_PER_STATEMENT).map((rows) =>
			db.insert(runEvents).values(rows).onConflictDoNothing(),
		),
	];
}

function chunks<T>(items: readonly T[], size: number): T[][] {
	const out: T[][] = [];
	for (let start = 0; start < items.length; start += size)
		out.push(items.slice(start, start + size));
	return out;
}

function runRow(state: RunState, archivedAt: string | undefined) {
	return {
		runId: state.run_id,
		tenant: state.tenant,
		prompt: state.prompt,
		goal: state.plan.goal,
		status: state.status,
		planner: state.plan.planner,
		fallbackReason: state.plan.planning?.fallback_reason ?? null,
		llmModel: state.plan.planning?.model ?? null,
		llmLatencyMs: state.plan.planning?.latency_ms ?? null,
		llmPromptTokens: state.plan.planning?.usage?.prompt_tokens ?? null,
		llmCompletionTokens: state.plan.planning?.usage?.completion_tokens ?? null,
		llmRepairs: state.plan.planning?.model ? state.plan.planning.repairs : null,
		planCached: state.plan.planning?.model ? state.plan.planning.cached : null,
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
		archivedAt: archivedAt ?? null,
		seq: state.seq,
		traceId: state.trace?.trace_id ?? null,
		mode: state.options.mode,
		rounds: state.rounds,
		llmTokens: state.llm.tokens,
		costUsd: state.llm.cost_usd,
	};
}

const stepRow = (state: RunState) => (step: RunState["execution_log"][number]) => ({
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
});

const eventRow = (state: RunState) => (event: RunEvent) => ({
	runId: state.run_id,
	seq: event.seq,
	type: event.data.type,
	at: event.at,
	data: JSON.stringify(event.data),
});
