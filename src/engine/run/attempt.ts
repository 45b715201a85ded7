/**
 * The decisions of one attempt of a step, as pure functions: how it starts (refused at once, a
 * durable sleep, or through its tool's gate), what the gate's verdict means, and which event an
 * attempt's result becomes. The run's object only carries them out (src/durable/run-driver.ts).
 */

import type { Json } from "../json";
import { type RetryPolicy, resolvePolicy } from "../resilience/retry-policy";
import type { ToolRegistry } from "../tools/registry";
import { fail, type Tool, type ToolResult } from "../tools/types";
import type { RunEventData } from "./events";
import { checkInput, prepareInput } from "./execute-step";
import { failureStops } from "./failures";
import { recordedOutputs, STARTABLE_STATUSES, settleAttempt } from "./scheduler";
import { isTerminal, type RunState, type StepState } from "./state";

/**
 * Times an open breaker may put one step off before the step fails for good; reset when the run
 * is retried. A breaker that stays open this long (20 cool-downs) is an outage, not a blip.
 */
export const MAX_DEFERRALS = 20;

/** What the gate in front of a tool (bulkheads, then breaker) answered for one attempt. */
export type GateVerdict =
	| { kind: "go" }
	| { kind: "full"; reason: string }
	| { kind: "open"; retryAt: number }
	/** A breaker or bulkhead object could not be asked: the attempt fails, retryably. */
	| { kind: "unavailable"; message: string };

/** The retry policy of a step's tool in this run: the tool's own, under the run's overrides. */
export function policyFor(state: RunState, registry: ToolRegistry, tool: string): RetryPolicy {
	return resolvePolicy(registry.get(tool)?.retry, state.options.policy);
}

export function stepOf(state: RunState, stepNumber: number): StepState | undefined {
	return state.execution_log.find((step) => step.step_number === stepNumber);
}

/** How an attempt begins, decided before any I/O. */
export type AttemptStart =
	/** Its input is unusable or its tool is gone: these events start and settle it. */
	| { kind: "refused"; events: RunEventData[] }
	/** A durable wait: started and sleeping, the alarm ends it. */
	| { kind: "sleep"; events: RunEventData[] }
	/** Ask the tool's gate first (see `afterGate`). */
	| { kind: "gated"; attempt: number; tool: Tool; input: Json; queued: boolean };

/** Decides how the next attempt of `stepNumber` starts; null for a step not in the run. */
export function startAttempt(
	state: RunState,
	stepNumber: number,
	registry: ToolRegistry,
	now: number,
	random: () => number,
): AttemptStart | null {
	const planned = state.plan.steps.find((step) => step.step_number === stepNumber);
	const recorded = stepOf(state, stepNumber);
	if (!planned || !recorded) return null;
	const attempt = recorded.attempts + 1;
	const tool = registry.get(planned.tool);
	const { input, failure: unresolved } = prepareInput(planned.input, recordedOutputs(state));
	const started: RunEventData = { type: "step_started", step: stepNumber, attempt, input };
	const refuse = (failure: ToolResult): AttemptStart => {
		const policy = policyFor(state, registry, planned.tool);
		const budget = attempt - recorded.attempts_before_retry;
		const settled = settleAttempt(stepNumber, attempt, budget, failure, policy, now, random);
		return { kind: "refused", events: [started, settled] };
	};
	if (!tool) return refuse(fail("unknown_tool", `Tool '${planned.tool}' is no longer registered`));
	const failure = unresolved ?? checkInput(tool, input);
	if (failure) return refuse(failure);
	if (tool.sleepMs) {
		const until = new Date(now + tool.sleepMs(tool.input.parse(input))).toISOString();
		return { kind: "sleep", events: [started, { type: "step_sleeping", step: stepNumber, until }] };
	}
	return { kind: "gated", attempt, tool, input, queued: tool.execution === "queued" };
}

/** What the gate's verdict means for the attempt. */
export type AfterGate =
	/** Held by a full bulkhead: ready, waiting (one `step_waiting` per reason). */
	| { kind: "held"; events: RunEventData[] }
	/** A cancel or a failure landed while the gate was asked: give the gate back, start nothing. */
	| { kind: "stale" }
	/** Put off, or failed, without running the tool. */
	| { kind: "settled"; events: RunEventData[] }
	/** Started: run the tool, inline or on the queue. */
	| { kind: "run"; events: RunEventData[] };

export function afterGate(
	state: RunState,
	stepNumber: number,
	attempt: number,
	input: Json,
	verdict: GateVerdict,
	policy: RetryPolicy,
	now: number,
	random: () => number,
): AfterGate {
	const step = stepOf(state, stepNumber);
	if (verdict.kind === "full") {
		const already = step?.waiting_for === verdict.reason;
		return {
			kind: "held",
			events: already ? [] : [{ type: "step_waiting", step: stepNumber, reason: verdict.reason }],
		};
	}
	if (!step || !isStartable(state, step, attempt)) return { kind: "stale" };
	if (verdict.kind === "open") {
		return { kind: "settled", events: [deferForOpenBreaker(step, verdict.retryAt, now)] };
	}
	const started: RunEventData = { type: "step_started", step: stepNumber, attempt, input };
	if (verdict.kind === "unavailable") {
		const failure = fail("gate_unavailable", verdict.message, true);
		const budget = attempt - step.attempts_before_retry;
		const settled = settleAttempt(stepNumber, attempt, budget, failure, policy, now, random);
		return { kind: "settled", events: [started, settled] };
	}
	return { kind: "run", events: [started] };
}

/** Whether `attempt` may still start: the run goes on and the step has not moved meanwhile. */
export function isStartable(state: RunState, step: StepState, attempt: number): boolean {
	return (
		!state.cancel &&
		!state.stop &&
		!failureStops(state) &&
		!isTerminal(state) &&
		step.attempts === attempt - 1 &&
		STARTABLE_STATUSES.has(step.status)
	);
}

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

/**
 * The event an attempt's result becomes, or null when it is late (not the current attempt of a
 * running step). Under a cancel, a failure stops the step instead of being retried.
 */
export function settleResult(
	state: RunState,
	stepNumber: number,
	attempt: number,
	result: ToolResult,
	policy: RetryPolicy,
	now: number,
	random: () => number,
): RunEventData | null {
	const step = stepOf(state, stepNumber);
	if (step?.status !== "running" || step.attempts !== attempt) return null;
	if (state.cancel && !result.ok) {
		return { type: "step_cancelled", step: stepNumber, reason: "Stopped by the cancel" };
	}
	const budget = attempt - step.attempts_before_retry;
	return settleAttempt(stepNumber, attempt, budget, result, policy, now, random);
}

/** The event that records how undoing a step went. */
export function compensationEvent(stepNumber: number, result: ToolResult): RunEventData {
	return result.ok
		? { type: "step_compensated", step: stepNumber, output: result.value }
		: {
				type: "step_compensation_failed",
				step: stepNumber,
				error: { code: result.error.code, message: result.error.message },
			};
}

/** A queued attempt whose deadline passed with no report from the consumer. */
export function expiredAttempt(step: Pick<StepState, "deadline_at">): ToolResult {
	return fail(
		"timeout",
		`No report from the queue consumer by the deadline (${step.deadline_at})`,
		true,
	);
}

/** The step's failure once the dead-letter queue gave up on the attempt's deliveries. */
export function deadLetterFailure(
	history: readonly RunEventData[],
	step: number,
	attempt: number,
): ToolResult {
	const failures = history.filter(
		(event) =>
			event.type === "step_delivery_failed" && event.step === step && event.attempt === attempt,
	);
	const last = failures.at(-1);
	const message =
		last?.type === "step_delivery_failed"
			? `The tool queue gave up on attempt ${attempt} of step ${step} after ${last.delivery} failed deliveries; the last failed with: ${last.error}`
			: `The tool queue gave up on attempt ${attempt} of step ${step}: its deliveries failed`;
	return fail("dead_lettered", message);
}

/** One info line per run, at its end; every other event at debug. */
export function logLevelOf(type: RunEventData["type"]): "info" | "debug" {
	return type === "run_completed" || type === "run_failed" || type === "run_cancelled"
		? "info"
		: "debug";
}
