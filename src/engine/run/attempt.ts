import type { RunEventData } from "./events";
import type { StepState } from "./state";

/**
 * Times an open breaker may put one step off before the step fails for good; reset when the run
 * is retried. A breaker that stays open this long (20 cool-downs) is an outage, not a blip.
 */
export const MAX_DEFERRALS = 20;

/**
 * A step about to start found its tool's breaker open: it waits for the end of the cool-down
 * without spending an attempt, within its own budget of deferrals, then fails with
 * `circuit_open`. Retrying at once would burn every attempt in milliseconds.
 */
export function deferForOpenBreaker(
	step: Pick<StepState, "step_number" | "attempts" | "deferrals" | "tool">,
	retryAt: number,
	now: number,
): RunEventData {
	if (step.deferrals >= MAX_DEFERRALS) {
		return {
			type: "step_failed",
			step: step.step_number,
			attempt: step.attempts,
			error: {
				code: "circuit_open",
				message: `The circuit breaker of '${step.tool}' stayed open through ${MAX_DEFERRALS} cool-downs`,
			},
		};
	}
	return {
		type: "step_deferred",
		step: step.step_number,
		reason: `circuit_open:${step.tool}`,
		until: new Date(Math.max(retryAt, now)).toISOString(),
	};
}
