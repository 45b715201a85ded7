import { err, ok, type Result } from "../result";
import type { RunEventData } from "./events";
import { isTerminal, type RunState } from "./state";

/** Why a control call changed nothing; the Worker maps each code to its HTTP status. */
export interface Refusal {
	code: "run_not_found" | "step_not_found" | "invalid_state";
	message: string;
	/** The run's status, for a refusal that depends on it. */
	status?: string;
}

export type CommandResult = Result<RunEventData[], Refusal>;

/**
 * The control calls on a run, as pure decisions: the run as its caller's tenant sees it
 * (undefined when it holds no run of that tenant) in, the events to append or a refusal out.
 */
function accept(events: RunEventData[]): CommandResult {
	return ok(events);
}

function refuse(code: Refusal["code"], message: string, state?: RunState): CommandResult {
	return err(state ? { code, message, status: state.status } : { code, message });
}

const NO_RUN = "No run has this id";

/** Cancel is idempotent while the run winds down: a second cancel appends nothing. */
export function cancelCommand(
	state: RunState | undefined,
	compensate: boolean,
	reason: string | null,
): CommandResult {
	if (!state) return refuse("run_not_found", NO_RUN);
	if (isTerminal(state))
		return refuse("invalid_state", `A ${state.status} run cannot be cancelled`, state);
	return accept(state.cancel ? [] : [{ type: "run_cancel_requested", compensate, reason }]);
}

/** Re-runs a failed run's failed, skipped, cancelled and compensated steps; succeeded ones stand. */
export function retryCommand(state: RunState | undefined): CommandResult {
	if (!state) return refuse("run_not_found", NO_RUN);
	if (state.status !== "failed") {
		return refuse(
			"invalid_state",
			`Only a failed run can be retried; this one is ${state.status}`,
			state,
		);
	}
	const steps = state.execution_log
		.filter((step) => step.status !== "succeeded")
		.map((step) => step.step_number);
	return accept([{ type: "run_retried", steps }]);
}

export function approveCommand(state: RunState | undefined, stepNumber: number): CommandResult {
	return decide(state, stepNumber, { type: "step_approved", step: stepNumber });
}

export function rejectCommand(
	state: RunState | undefined,
	stepNumber: number,
	reason: string,
): CommandResult {
	return decide(state, stepNumber, { type: "step_rejected", step: stepNumber, reason });
}

function decide(
	state: RunState | undefined,
	stepNumber: number,
	event: RunEventData,
): CommandResult {
	if (!state) return refuse("run_not_found", NO_RUN);
	const step = state.execution_log.find((candidate) => candidate.step_number === stepNumber);
	if (!step) return refuse("step_not_found", `Step ${stepNumber} is not in the plan`, state);
	// A cancelled or skipped step keeps its request: only a live run's ready step is waiting.
	const waiting = step.status === "ready" && step.approval?.status === "requested";
	if (!waiting || isTerminal(state) || state.cancel) {
		return refuse("invalid_state", `Step ${stepNumber} is not awaiting approval`, state);
	}
	return accept([event]);
}
