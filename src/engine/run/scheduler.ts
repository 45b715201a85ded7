import type { Json } from "../json";
import type { ToolFailure, ToolResult } from "../tools/types";
import type { RunEventData } from "./events";
import { backoffDelay, type RetryPolicy, shouldRetry } from "./retry-policy";
import { isTerminal, type RunState, type StepState } from "./state";

/** What the run's object should do next, decided from its state alone. */
export interface NextActions {
	/** Steps whose dependencies have all succeeded, or whose retry is due: start them all now. */
	start: number[];
	/** Events to append right away: skipped steps, then the run's final event. */
	events: RunEventData[];
	/** Epoch ms of the earliest retry still in the future, for the next alarm. */
	wakeAt: number | null;
}

/**
 * The DAG scheduler. Once any step has failed for good no new step starts: steps still running
 * finish and are recorded, the rest are skipped, and the run fails when nothing is running.
 */
export function nextActions(state: RunState, now: number): NextActions {
	const none: NextActions = { start: [], events: [], wakeAt: null };
	if (isTerminal(state)) return none;
	const byNumber = new Map(state.execution_log.map((step) => [step.step_number, step]));
	const failed = state.execution_log.find((step) => step.status === "failed");
	if (failed) return failRun(state, failed);

	const start: number[] = [];
	let wakeAt: number | null = null;
	for (const step of state.execution_log) {
		if (step.status === "pending" && dependenciesMet(state, step.step_number, byNumber)) {
			start.push(step.step_number);
		} else if (step.status === "retry_scheduled") {
			const due = step.next_attempt_at ? Date.parse(step.next_attempt_at) : now;
			if (due <= now) start.push(step.step_number);
			else wakeAt = wakeAt === null ? due : Math.min(wakeAt, due);
		}
	}
	if (state.execution_log.every((step) => step.status === "succeeded")) {
		return { ...none, events: [{ type: "run_completed", result: runResult(state) }] };
	}
	return { start, events: [], wakeAt };
}

function failRun(state: RunState, failed: StepState): NextActions {
	const events: RunEventData[] = [];
	for (const step of state.execution_log) {
		if (step.status === "pending" || step.status === "retry_scheduled") {
			events.push({
				type: "step_skipped",
				step: step.step_number,
				reason: `Not started because step ${failed.step_number} failed`,
			});
		}
	}
	if (!state.execution_log.some((step) => step.status === "running")) {
		const error = failed.error ?? { code: "step_failed", message: "Step failed" };
		events.push({ type: "run_failed", error: { ...error, step: failed.step_number } });
	}
	return { start: [], events, wakeAt: null };
}

function dependenciesMet(
	state: RunState,
	stepNumber: number,
	byNumber: ReadonlyMap<number, StepState>,
): boolean {
	const planned = state.plan.steps.find((step) => step.step_number === stepNumber);
	return (planned?.depends_on ?? []).every(
		(dependency) => byNumber.get(dependency)?.status === "succeeded",
	);
}

/** The run's result is the output of the last step in plan order. */
function runResult(state: RunState): Json {
	return state.execution_log.at(-1)?.output ?? null;
}

/** Outputs recorded so far, for resolving references in the inputs of later steps. */
export function recordedOutputs(state: RunState): Map<number, Json> {
	const outputs = new Map<number, Json>();
	for (const step of state.execution_log) {
		if (step.status === "succeeded") outputs.set(step.step_number, step.output);
	}
	return outputs;
}

/** Turns the result of one attempt into its event: success, a scheduled retry, or failure. */
export function settleAttempt(
	step: number,
	attempt: number,
	result: ToolResult,
	policy: RetryPolicy,
	now: number,
	random: () => number,
): RunEventData {
	if (result.success) return { type: "step_succeeded", step, attempt, output: result.output };
	const error = { code: result.error.code, message: result.error.message };
	if (shouldRetry(attempt, result.error.retryable, policy)) {
		const retryAt = new Date(now + backoffDelay(attempt, policy, random)).toISOString();
		return { type: "step_retry_scheduled", step, attempt, error, retry_at: retryAt };
	}
	return { type: "step_failed", step, attempt, error };
}

/** The failure recorded for an attempt that was running when its object crashed or restarted. */
export const INTERRUPTED: ToolFailure = {
	code: "interrupted",
	message: "The run's object restarted while this attempt was running",
	retryable: true,
};

/** Steps recorded as running that no live execution owns: their attempt died with the object. */
export function interruptedSteps(state: RunState, inflight: ReadonlySet<number>): StepState[] {
	return state.execution_log.filter(
		(step) => step.status === "running" && !inflight.has(step.step_number),
	);
}
