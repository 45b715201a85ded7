/**
 * Failures in an agent run with `replan_on_failure`: the first step that fails for good does not
 * end the run; what waits on it is skipped, the rest finishes, and a planning round answers it.
 */
import type { RunEventData } from "./events";
import type { RunState, StepState } from "./state";

/** Failed steps no planning round has answered yet. */
export function liveFailures(state: RunState): StepState[] {
	const superseded = new Set(state.superseded);
	return state.execution_log.filter(
		(step) => step.status === "failed" && !superseded.has(step.step_number),
	);
}

/** A failure that ends the run: one no planning round has answered, nor will. */
export function failureStops(state: RunState): boolean {
	return liveFailures(state).length > 0 && !mayReplanOnFailure(state);
}

/** An agent run with replan_on_failure that has not used its one failure round, rounds left. */
export function mayReplanOnFailure(state: RunState): boolean {
	return (
		state.options.mode === "agent" &&
		state.options.replan_on_failure &&
		state.superseded.length === 0 &&
		state.rounds < state.options.max_rounds
	);
}

/** Steps that wait on a failed or skipped step, to skip now: they can never run. */
export function doomedSteps(state: RunState): RunEventData[] {
	const status = new Map(state.execution_log.map((step) => [step.step_number, step.status]));
	const events: RunEventData[] = [];
	for (const step of state.plan.steps) {
		if (status.get(step.step_number) !== "pending") continue;
		const blocker = step.depends_on.find(
			(n) => status.get(n) === "failed" || status.get(n) === "skipped",
		);
		if (blocker !== undefined) {
			events.push({
				type: "step_skipped",
				step: step.step_number,
				reason: `Not started because step ${blocker} did not succeed`,
			});
		}
	}
	return events;
}
