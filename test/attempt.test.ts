import { describe, expect, it } from "vitest";
import {
	afterGate,
	compensationEvent,
	deadLetterFailure,
	deferForOpenBreaker,
	expiredAttempt,
	logLevelOf,
	MAX_DEFERRALS,
	settleResult,
	startAttempt,
} from "../src/engine/run/attempt";
import { effectKey } from "../src/engine/run/effect-key";
import type { RunEventData } from "../src/engine/run/events";
import { toolRegistry } from "../src/engine/tools/registry";
import { planOf, stateAfter, T0 } from "./fixtures/run-state";

const registry = toolRegistry({ includeDevTools: true });
const policy = { max_attempts: 3, base_delay_ms: 100, max_delay_ms: 1_000, timeout_ms: 1_000 };
const never = () => 0;
const step = { step_number: 2, attempts: 1, deferrals: 0, tool: "http.request" };

function planWith(tool: string, input: Record<string, unknown>) {
	const plan = planOf([[]]);
	const [first] = plan.steps;
	if (!first) throw new Error("no step");
	return { ...plan, steps: [{ ...first, tool, input: input as never }] };
}

describe("starting an attempt", () => {
	it("goes through the gate for a runnable tool, naming queued ones", () => {
		const start = startAttempt(stateAfter(planOf([[]]), []), 1, registry, T0, never);
		expect(start).toMatchObject({
			kind: "gated",
			attempt: 1,
			queued: false,
			input: { expression: "1" },
		});
		const queued = startAttempt(
			stateAfter(planWith("chaos.queued", {}), []),
			1,
			registry,
			T0,
			never,
		);
		expect(queued).toMatchObject({ kind: "gated", queued: true });
	});

	it("refuses an input the tool rejects, starting and failing the step at once", () => {
		const start = startAttempt(
			stateAfter(planWith("calculator", { expression: 5 }), []),
			1,
			registry,
			T0,
			never,
		);
		expect(start).toMatchObject({
			kind: "refused",
			events: [
				{ type: "step_started", attempt: 1 },
				{ type: "step_failed", error: { code: "invalid_input" } },
			],
		});
	});

	it("refuses a tool that is no longer registered", () => {
		const start = startAttempt(stateAfter(planWith("gone.tool", {}), []), 1, registry, T0, never);
		expect(start).toMatchObject({ events: [{}, { error: { code: "unknown_tool" } }] });
	});

	it("sleeps durably for a wait", () => {
		const start = startAttempt(
			stateAfter(planWith("wait", { ms: 5_000 }), []),
			1,
			registry,
			T0,
			never,
		);
		expect(start).toMatchObject({
			kind: "sleep",
			events: [
				{ type: "step_started" },
				{ type: "step_sleeping", until: new Date(T0 + 5_000).toISOString() },
			],
		});
	});

	it("is nothing for a step that is not in the run", () => {
		expect(startAttempt(stateAfter(planOf([[]]), []), 9, registry, T0, never)).toBeNull();
	});
});

describe("the gate's verdict", () => {
	const state = stateAfter(planOf([[]]), []);
	const decide = (verdict: Parameters<typeof afterGate>[4], on = state) =>
		afterGate(on, 1, 1, {}, verdict, policy, T0, never);

	it("starts the step when the gate lets it through", () => {
		expect(decide({ kind: "go" })).toEqual({
			kind: "run",
			events: [{ type: "step_started", step: 1, attempt: 1, input: {} }],
		});
	});

	it("holds the step ready once per reason when a bulkhead is full", () => {
		expect(decide({ kind: "full", reason: "bulkhead x is full" })).toEqual({
			kind: "held",
			events: [{ type: "step_waiting", step: 1, reason: "bulkhead x is full" }],
		});
		const waiting = stateAfter(planOf([[]]), [{ type: "step_waiting", step: 1, reason: "r" }]);
		expect(decide({ kind: "full", reason: "r" }, waiting)).toEqual({ kind: "held", events: [] });
	});

	it("fails the attempt retryably when the gate cannot be asked", () => {
		expect(decide({ kind: "unavailable", message: "down" })).toMatchObject({
			kind: "settled",
			events: [
				{ type: "step_started" },
				{ type: "step_retry_scheduled", error: { code: "gate_unavailable" } },
			],
		});
	});

	it("starts nothing when a cancel landed while the gate was asked", () => {
		const cancelled = stateAfter(planOf([[]]), [
			{ type: "run_cancel_requested", compensate: false, reason: null },
		]);
		expect(decide({ kind: "go" }, cancelled)).toEqual({ kind: "stale" });
	});

	it("puts the step off to the end of an open breaker's cool-down, spending no attempt", () => {
		expect(decide({ kind: "open", retryAt: T0 + 500 })).toMatchObject({
			kind: "settled",
			events: [{ type: "step_deferred", until: new Date(T0 + 500).toISOString() }],
		});
	});
});

describe("a step refused by an open breaker", () => {
	it("waits for the end of the cool-down, never for a time already past", () => {
		expect(deferForOpenBreaker(step, 5_000, 1_000)).toEqual({
			type: "step_deferred",
			step: 2,
			reason: "circuit_open:http.request",
			until: new Date(5_000).toISOString(),
		});
		expect(deferForOpenBreaker(step, 500, 1_000)).toMatchObject({
			until: new Date(1_000).toISOString(),
		});
	});

	it("fails with circuit_open once its deferrals are used up", () => {
		expect(deferForOpenBreaker({ ...step, deferrals: MAX_DEFERRALS }, 5_000, 1_000)).toMatchObject({
			type: "step_failed",
			error: { code: "circuit_open" },
		});
	});
});

describe("an attempt's result", () => {
	const running = stateAfter(planOf([[]]), [
		{ type: "step_started", step: 1, attempt: 1, input: {} },
	]);
	const failure = { ok: false as const, error: { code: "x", message: "m", retryable: true } };

	it("becomes a success, a scheduled retry or a failure by the policy", () => {
		const ok = settleResult(running, 1, 1, { ok: true, value: 3 }, policy, T0, never);
		expect(ok).toEqual({ type: "step_succeeded", step: 1, attempt: 1, output: 3 });
		expect(settleResult(running, 1, 1, failure, policy, T0, never)).toMatchObject({
			type: "step_retry_scheduled",
		});
		const last = { ...policy, max_attempts: 1 };
		expect(settleResult(running, 1, 1, failure, last, T0, never)).toMatchObject({
			type: "step_failed",
		});
	});

	it("is ignored when late: another attempt, or a step no longer running", () => {
		expect(settleResult(running, 1, 2, failure, policy, T0, never)).toBeNull();
		expect(settleResult(stateAfter(planOf([[]]), []), 1, 1, failure, policy, T0, never)).toBeNull();
	});

	it("stops the step instead of retrying it under a cancel", () => {
		const cancelling = stateAfter(planOf([[]]), [
			{ type: "step_started", step: 1, attempt: 1, input: {} },
			{ type: "run_cancel_requested", compensate: false, reason: null },
		]);
		expect(settleResult(cancelling, 1, 1, failure, policy, T0, never)).toMatchObject({
			type: "step_cancelled",
		});
	});
});

describe("the other outcomes", () => {
	it("record compensation as undone, or its failure", () => {
		expect(compensationEvent(1, { ok: true, value: "gone" })).toEqual({
			type: "step_compensated",
			step: 1,
			output: "gone",
		});
		expect(
			compensationEvent(1, {
				ok: false,
				error: { code: "c", message: "m", retryable: false },
			}),
		).toEqual({ type: "step_compensation_failed", step: 1, error: { code: "c", message: "m" } });
	});

	it("time out a queued attempt past its deadline, retryably", () => {
		expect(expiredAttempt({ deadline_at: "2026-01-01T00:00:00.000Z" })).toMatchObject({
			ok: false,
			error: { code: "timeout", retryable: true },
		});
	});

	it("fail a dead-lettered attempt with the last delivery's error", () => {
		const history: RunEventData[] = [
			{ type: "step_delivery_failed", step: 1, attempt: 1, delivery: 3, error: "boom" },
		];
		expect(deadLetterFailure(history, 1, 1)).toMatchObject({
			error: {
				code: "dead_lettered",
				message: expect.stringContaining("after 3 failed deliveries; the last failed with: boom"),
				retryable: false,
			},
		});
		expect(deadLetterFailure([], 1, 1)).toMatchObject({ error: { code: "dead_lettered" } });
	});

	it("log one info line per run, at its end", () => {
		expect(logLevelOf("run_completed")).toBe("info");
		expect(logLevelOf("step_started")).toBe("debug");
	});
});

describe("effect keys", () => {
	it("stay the run and step until compensation undoes the effect, then name the generation", () => {
		expect(effectKey("run", { step_number: 3, effect_generation: 0 })).toBe("run:3");
		expect(effectKey("run", { step_number: 3, effect_generation: 2 })).toBe("run:3:g2");
	});
});
