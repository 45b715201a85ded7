import type { Json } from "../json";
import type { RunState } from "./state";

/**
 * Which recorded outputs a fork reuses. With `fromStep`, that step and everything depending on it
 * (directly or not) run again; without it, every succeeded step is reused and the rest run.
 */
export function forkReuse(state: RunState, fromStep: number | null): Map<number, Json> {
	const rerun = new Set<number>();
	if (fromStep !== null) {
		rerun.add(fromStep);
		let grew = true;
		while (grew) {
			grew = false;
			for (const step of state.plan.steps) {
				if (
					!rerun.has(step.step_number) &&
					step.depends_on.some((dependency) => rerun.has(dependency))
				) {
					rerun.add(step.step_number);
					grew = true;
				}
			}
		}
	}
	const reused = new Map<number, Json>();
	for (const step of state.execution_log) {
		if (step.status === "succeeded" && !rerun.has(step.step_number)) {
			reused.set(step.step_number, step.output);
		}
	}
	return reused;
}
