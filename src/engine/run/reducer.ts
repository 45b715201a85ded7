import type { Json } from "../json";
import type { Step } from "../plan/model";
import type { TokenUsage } from "../plan/provenance";
import { LLM_GENERATE } from "../tools/llm-generate";
import type { LlmSpend } from "./budget";
import type { RunEvent, RunEventData } from "./events";
import { isTerminal, type RunState, type StepState } from "./state";

export class EventOrderError extends Error {}

/**
 * Folds one event into the run's state. Pure: the live object, time travel and the archive all
 * use it, so a state can always be rebuilt from the log alone.
 */
export function applyEvent(state: RunState | undefined, event: RunEvent): RunState {
	const { data, at, seq } = event;
	if (data.type === "run_created") {
		if (state) throw new EventOrderError("run_created must be the first event");
		return created(data, at, seq);
	}
	if (!state) throw new EventOrderError(`${data.type} arrived before run_created`);
	// Every event that carries a model call's spend charges it here, once: planning rounds, and
	// failed calls (a step's attempt, a rejected round), which still used their tokens.
	const charged =
		"spend" in data && data.spend ? { ...state, llm: spent(state.llm, data.spend) } : state;
	const next = reduce({ ...charged, seq }, data, at);
	return isTerminal(next) ? next : { ...next, status: liveStatus(next) };
}

function reduce(state: RunState, data: RunEventData, at: string): RunState {
	switch (data.type) {
		case "run_created":
			throw new EventOrderError("run_created appears twice");
		case "run_started":
			return { ...state, started_at: at };
		case "plan_extended":
			return extended(state, data);
		case "agent_finished":
			return { ...state, agent: { outcome: data.outcome, reason: data.reason } };
		case "budget_exceeded":
			return { ...state, stop: { budget: data.budget, used: data.used, limit: data.limit, at } };
		case "step_reused":
			return updateStep(state, data.step, {
				status: "succeeded",
				output: data.output,
				reused_from: state.forked_from?.run_id ?? null,
			});
		case "step_started":
			return updateStep(state, data.step, {
				status: "running",
				input: data.input,
				attempts: data.attempt,
				started_at: at,
				completed_at: null,
				duration_ms: null,
				next_attempt_at: null,
				deadline_at: null,
				waiting_for: null,
				error: null,
			});
		case "step_queued":
			return updateStep(state, data.step, { deadline_at: data.deadline });
		case "step_delivery_ignored":
		case "step_delivery_failed":
			return state;
		case "step_waiting":
			return updateStep(state, data.step, { status: "ready", waiting_for: data.reason });
		case "step_deferred":
			return updateStep(state, data.step, (step) => ({
				status: "retry_scheduled",
				next_attempt_at: data.until,
				waiting_for: data.reason,
				deferrals: step.deferrals + 1,
			}));
		case "step_sleeping":
			return updateStep(state, data.step, { next_attempt_at: data.until });
		case "step_succeeded":
			return updateStep(modelSpend(state, data.step, data.output), data.step, (step) => ({
				status: "succeeded",
				output: data.output,
				error: null,
				next_attempt_at: null,
				...finished(step, at),
			}));
		case "step_retry_scheduled":
			return updateStep(state, data.step, (step) => ({
				status: "retry_scheduled",
				error: data.error,
				next_attempt_at: data.retry_at,
				...finished(step, at),
			}));
		case "step_failed":
			return updateStep(state, data.step, (step) => ({
				status: "failed",
				error: data.error,
				next_attempt_at: null,
				...finished(step, at),
			}));
		case "step_skipped":
			return updateStep(state, data.step, {
				status: "skipped",
				next_attempt_at: null,
				waiting_for: null,
				error: { code: "dependency_failed", message: data.reason },
			});
		case "step_cancelled":
			return updateStep(state, data.step, (step) => ({
				status: "cancelled",
				next_attempt_at: null,
				waiting_for: null,
				error: { code: "cancelled", message: data.reason },
				...(step.status === "running" ? finished(step, at) : {}),
			}));
		case "approval_requested":
			return updateStep(state, data.step, {
				status: "ready",
				approval: { status: "requested", expires_at: data.expires_at },
			});
		case "step_approved":
			return updateStep(state, data.step, (step) => ({
				status: "pending",
				approval: step.approval && { ...step.approval, status: "approved" },
			}));
		case "step_rejected":
			return updateStep(state, data.step, (step) => ({
				status: "failed",
				error: { code: "approval_rejected", message: data.reason },
				approval: step.approval && { ...step.approval, status: "rejected" },
			}));
		case "step_compensated":
			return updateStep(state, data.step, (step) => ({
				status: "compensated",
				// The effect is undone: doing it again is a new effect, with a new idempotency key.
				effect_generation: step.effect_generation + 1,
				compensation: { status: "compensated", output: data.output, error: null },
			}));
		case "step_compensation_failed":
			return updateStep(state, data.step, {
				compensation: { status: "failed", output: null, error: data.error },
			});
		case "run_cancel_requested":
			return {
				...state,
				cancel: { compensate: data.compensate, reason: data.reason, requested_at: at },
			};
		case "run_retried":
			return retried(state, data.steps);
		case "run_completed":
			return { ...state, status: "completed", result: data.result, completed_at: at };
		case "run_failed":
			return { ...state, status: "failed", error: data.error, completed_at: at };
		case "run_cancelled":
			return { ...state, status: "cancelled", completed_at: at };
	}
}

function created(
	data: Extract<RunEventData, { type: "run_created" }>,
	at: string,
	seq: number,
): RunState {
	return {
		run_id: data.run_id,
		tenant: data.tenant,
		prompt: data.prompt,
		status: "pending",
		plan: data.plan,
		options: data.options,
		forked_from: data.forked_from,
		trace: data.trace ?? null,
		live_slot: data.live_slot ?? false,
		request_hash: data.request_hash ?? null,
		tools: data.tools ?? [],
		rounds: data.rounds ?? 1,
		// A fork did not pay for its plan: the run it was forked from did.
		llm: data.forked_from
			? { tokens: 0, cost_usd: 0 }
			: {
					tokens: data.plan.planning?.usage?.total_tokens ?? 0,
					cost_usd: data.plan.planning?.cost_usd ?? 0,
				},
		stop: null,
		superseded: [],
		agent: null,
		execution_log: data.plan.steps.map(pendingStep),
		result: null,
		error: null,
		cancel: null,
		created_at: at,
		started_at: null,
		completed_at: null,
		seq,
	};
}

/** A retried run re-runs its failed, skipped and cancelled steps; succeeded ones stand. */
function retried(state: RunState, steps: readonly number[]): RunState {
	const again = new Set(steps);
	return {
		...state,
		status: "running",
		result: null,
		error: null,
		cancel: null,
		completed_at: null,
		execution_log: state.execution_log.map((step) =>
			again.has(step.step_number)
				? {
						...step,
						status: "pending",
						error: null,
						next_attempt_at: null,
						deadline_at: null,
						waiting_for: null,
						attempts_before_retry: step.attempts,
						deferrals: 0,
						approval: null,
						compensation: null,
					}
				: step,
		),
	};
}

function liveStatus(state: RunState): RunState["status"] {
	if (state.cancel) return "cancelling";
	if (state.execution_log.some((step) => step.approval?.status === "requested")) {
		return "waiting_approval";
	}
	return state.started_at ? "running" : "pending";
}

/** Folds a whole log, oldest first. */
export function foldEvents(events: Iterable<RunEvent>): RunState | undefined {
	let state: RunState | undefined;
	for (const event of events) state = applyEvent(state, event);
	return state;
}

/**
 * The state exactly as it was after event `at` (time travel). Undefined when the log is shorter:
 * the caller reports the last sequence number instead.
 */
export function foldUntil(events: readonly RunEvent[], at: number): RunState | undefined {
	const last = events.at(-1);
	if (!last || last.seq < at) return undefined;
	return foldEvents(events.filter((event) => event.seq <= at));
}

function finished(step: StepState, at: string): Partial<StepState> {
	const duration = step.started_at ? Date.parse(at) - Date.parse(step.started_at) : null;
	return { completed_at: at, duration_ms: duration, deadline_at: null };
}

function updateStep(
	state: RunState,
	stepNumber: number,
	change: Partial<StepState> | ((step: StepState) => Partial<StepState>),
): RunState {
	const index = state.execution_log.findIndex((step) => step.step_number === stepNumber);
	const step = state.execution_log[index];
	if (!step) throw new EventOrderError(`Event names step ${stepNumber}, which the plan lacks`);
	const log = [...state.execution_log];
	log[index] = { ...step, ...(typeof change === "function" ? change(step) : change) };
	return { ...state, execution_log: log };
}

function spent(llm: RunState["llm"], spend: LlmSpend): RunState["llm"] {
	return {
		tokens: llm.tokens + (spend.usage?.total_tokens ?? 0),
		cost_usd: llm.cost_usd + spend.cost_usd,
	};
}

/** An llm.generate step's output carries its spend (see tools/llm-generate.ts). */
function modelSpend(state: RunState, stepNumber: number, output: Json): RunState {
	const step = state.execution_log.find((s) => s.step_number === stepNumber);
	if (step?.tool !== LLM_GENERATE || output === null || typeof output !== "object") return state;
	const { usage, cost_usd } = output as { usage?: TokenUsage; cost_usd?: number };
	return { ...state, llm: spent(state.llm, { usage: usage ?? null, cost_usd: cost_usd ?? 0 }) };
}

/** New steps join the plan and the log, pending; the run is live again. */
function extended(
	state: RunState,
	data: Extract<RunEventData, { type: "plan_extended" }>,
): RunState {
	const known = new Set(state.tools.map((tool) => tool.name));
	const answered = data.after_failure
		? state.execution_log
				.filter((step) => step.status === "failed" || step.status === "skipped")
				.map((step) => step.step_number)
		: [];
	return {
		...state,
		superseded: [...new Set([...state.superseded, ...answered])],
		rounds: data.round,
		tools: [...state.tools, ...(data.tools ?? []).filter((tool) => !known.has(tool.name))],
		plan: { ...state.plan, steps: [...state.plan.steps, ...data.steps] },
		execution_log: [...state.execution_log, ...data.steps.map(pendingStep)],
	};
}

function pendingStep(step: Step): StepState {
	return {
		step_number: step.step_number,
		tool: step.tool,
		input: step.input,
		output: null,
		status: "pending",
		error: null,
		attempts: 0,
		attempts_before_retry: 0,
		deferrals: 0,
		effect_generation: 0,
		started_at: null,
		completed_at: null,
		duration_ms: null,
		next_attempt_at: null,
		deadline_at: null,
		waiting_for: null,
		requires_approval: step.requires_approval,
		approval: null,
		compensation: null,
		reused_from: null,
	};
}
