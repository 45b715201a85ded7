import type { Json } from "../json";
import type { Plan, RunPolicy } from "../plan/model";
import type { RunError, StepError } from "./events";

export const RUN_STATUSES = ["pending", "running", "completed", "failed"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export type StepStatus =
	| "pending"
	| "running"
	| "retry_scheduled"
	| "succeeded"
	| "failed"
	| "skipped";

export interface StepState {
	step_number: number;
	tool: string;
	/** The plan's input until the step starts, then the input with references resolved. */
	input: Json;
	output: Json;
	status: StepStatus;
	error: StepError | null;
	attempts: number;
	/** Start, end and duration of the latest attempt. */
	started_at: string | null;
	completed_at: string | null;
	duration_ms: number | null;
	next_attempt_at: string | null;
}

export interface RunState {
	run_id: string;
	tenant: string;
	prompt: string | null;
	status: RunStatus;
	plan: Plan;
	policy: RunPolicy;
	execution_log: StepState[];
	result: Json;
	error: RunError | null;
	created_at: string;
	started_at: string | null;
	completed_at: string | null;
	/** Sequence number of the last event folded in. */
	seq: number;
}

export const TERMINAL_RUN_STATUSES: ReadonlySet<RunStatus> = new Set(["completed", "failed"]);

export function isTerminal(state: RunState): boolean {
	return TERMINAL_RUN_STATUSES.has(state.status);
}

/** The run as the API returns it: internal bookkeeping left out. */
export function toRunView(state: RunState) {
	const { tenant: _tenant, policy: _policy, seq: _seq, ...view } = state;
	return view;
}

export type RunView = ReturnType<typeof toRunView>;
