import type { Json } from "../json";
import type { BudgetName } from "../plan/budget";
import type { Plan, RunOptions } from "../plan/model";
import type { TenantToolDefinition } from "../tools/tenant/definition";
import type { Span } from "../trace";
import { usageOf } from "./budget";
import type { RunError, StepError } from "./events";

export const RUN_STATUSES = [
	"pending",
	"running",
	"waiting_approval",
	"cancelling",
	"cancelled",
	"completed",
	"failed",
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export type StepStatus =
	| "pending"
	/** Dependencies met; held for approval, or for a bulkhead slot. */
	| "ready"
	| "running"
	| "retry_scheduled"
	| "succeeded"
	| "failed"
	| "cancelled"
	| "skipped"
	| "compensated";

export interface StepState {
	step_number: number;
	tool: string;
	/** The plan's input until the step starts, then the input with references resolved. */
	input: Json;
	output: Json;
	status: StepStatus;
	error: StepError | null;
	attempts: number;
	/** Attempts made before the run was last retried; each retry of the run gets a fresh budget. */
	attempts_before_retry: number;
	/** Times a gate (an open breaker) put the step off before it started, spending no attempt. */
	deferrals: number;
	/**
	 * Times the step's effect was undone by compensation. The idempotency key names the
	 * generation, so redoing an undone effect really does it again (see effect-key.ts).
	 */
	effect_generation: number;
	/** Start, end and duration of the latest attempt. */
	started_at: string | null;
	completed_at: string | null;
	duration_ms: number | null;
	/** When a scheduled retry falls due, or a durable wait ends. */
	next_attempt_at: string | null;
	/** A queued attempt times out unless its report arrives by then. */
	deadline_at: string | null;
	/** Why a ready step has not started: the bulkhead it waits on. */
	waiting_for: string | null;
	requires_approval: boolean;
	approval: { status: "requested" | "approved" | "rejected"; expires_at: string } | null;
	/** Set once the step's effect has been undone, or the attempt to undo it failed. */
	compensation: { status: "compensated" | "failed"; output: Json; error: StepError | null } | null;
	/** The run this step's output was reused from, for forked runs. */
	reused_from: string | null;
}

export interface RunState {
	run_id: string;
	tenant: string;
	prompt: string | null;
	status: RunStatus;
	plan: Plan;
	options: RunOptions;
	forked_from: { run_id: string; from_step: number | null } | null;
	/** The run's span; its trace is the creating request's. Null for runs from before tracing. */
	trace: Span | null;
	live_slot: boolean;
	/** The keyed request's body hash (see run_created); null for a run created without a key. */
	request_hash: string | null;
	/** The tenant's own tools this run planned with (see run_created). */
	tools: TenantToolDefinition[];
	execution_log: StepState[];
	result: Json;
	error: RunError | null;
	/** Planning rounds so far: 1 for the first plan, one more per `plan_extended`. */
	rounds: number;
	/** Model tokens and their cost: planning rounds and llm.generate steps. */
	llm: { tokens: number; cost_usd: number };
	/** Set when a budget is spent: nothing more starts, and the run ends failed. */
	stop: { budget: BudgetName; used: number; limit: number; at: string } | null;
	/**
	 * Failed and skipped steps a planning round answered (replan_on_failure): they stay as they
	 * are, but no longer fail the run.
	 */
	superseded: number[];
	/** Why an agent run's loop ended: the model said the goal is met, or rounds ran out. */
	agent: { outcome: "goal_met" | "max_rounds"; reason: string } | null;
	/** Set by a cancel request; compensation follows it when asked for. */
	cancel: { compensate: boolean; reason: string | null; requested_at: string } | null;
	created_at: string;
	started_at: string | null;
	completed_at: string | null;
	/** Sequence number of the last event folded in. */
	seq: number;
}

export const TERMINAL_RUN_STATUSES: ReadonlySet<RunStatus> = new Set([
	"completed",
	"failed",
	"cancelled",
]);

export function isTerminal(state: RunState): boolean {
	return TERMINAL_RUN_STATUSES.has(state.status);
}

/**
 * A step as the API shows it: an allow-list, so bookkeeping added to StepState later
 * (attempts_before_retry, effect_generation) stays internal unless it is named here.
 */
function toStepView(step: StepState) {
	return {
		step_number: step.step_number,
		tool: step.tool,
		input: step.input,
		output: step.output,
		status: step.status,
		error: step.error,
		attempts: step.attempts,
		deferrals: step.deferrals,
		started_at: step.started_at,
		completed_at: step.completed_at,
		duration_ms: step.duration_ms,
		next_attempt_at: step.next_attempt_at,
		deadline_at: step.deadline_at,
		waiting_for: step.waiting_for,
		requires_approval: step.requires_approval,
		approval: step.approval,
		compensation: step.compensation,
		reused_from: step.reused_from,
	};
}

/** The run as the API returns it, by allow-list (tenant, options and bookkeeping stay inside). */
export function toRunView(state: RunState) {
	return {
		run_id: state.run_id,
		prompt: state.prompt,
		status: state.status,
		plan: state.plan,
		forked_from: state.forked_from,
		trace_id: state.trace?.trace_id ?? null,
		mode: state.options.mode,
		rounds: state.rounds,
		max_rounds: state.options.max_rounds,
		agent: state.agent,
		budget: budgetView(state),
		execution_log: state.execution_log.map(toStepView),
		result: state.result,
		error: state.error,
		cancel: state.cancel,
		created_at: state.created_at,
		started_at: state.started_at,
		completed_at: state.completed_at,
	};
}

export type RunView = ReturnType<typeof toRunView>;

/**
 * A run's budget as the API shows it: its limits, what it has used (wall time once it has
 * ended; `deadline_at` says when a live run's wall budget runs out), and the breach, if any.
 */
function budgetView(state: RunState) {
	const used = usageOf(state, Date.parse(state.completed_at ?? state.created_at));
	const limit = state.options.budget.max_wall_ms;
	return {
		limits: state.options.budget,
		used: { ...used, wall_ms: state.completed_at ? used.wall_ms : null },
		deadline_at:
			limit === undefined ? null : new Date(Date.parse(state.created_at) + limit).toISOString(),
		exceeded: state.stop,
	};
}
