import type { StepState } from "./state";

/**
 * The idempotency key of a step's effect: the same on every attempt, so a repeated attempt
 * applies once; and new after each compensation, because an undone effect that a retry redoes
 * must really happen again rather than answer with the cached outcome of the undone one.
 */
export function effectKey(
	runId: string,
	step: Pick<StepState, "step_number" | "effect_generation">,
): string {
	const base = `${runId}:${step.step_number}`;
	return step.effect_generation === 0 ? base : `${base}:g${step.effect_generation}`;
}
