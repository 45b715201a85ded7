import { describe, expect, it } from "vitest";
import { DEFAULT_RETRY_POLICY } from "../src/engine/resilience/retry-policy";
import {
	INTERRUPTED,
	interruptedSteps,
	nextActions,
	settleAttempt,
} from "../src/engine/run/scheduler";
import { planOf, stateAfter, T0, TRAITS } from "./fixtures/run-state";

describe("scheduler", () => {
	// 1 and 2 are independent; 3 needs both; 4 needs 3.
	const diamond = planOf([[], [], [1, 2], [3]]);

	it("starts every step without dependencies at once", () => {
		expect(nextActions(stateAfter(diamond, [{ type: "run_started" }]), T0, TRAITS)).toEqual({
			start: [1, 2],
			events: [],
			compensate: null,
			expired: [],
			wakeAt: null,
			replan: false,
		});
	});

	it("starts a step only when all its dependencies have succeeded", () => {
		const oneDone = stateAfter(diamond, [
			{ type: "step_started", step: 1, attempt: 1, input: {} },
			{ type: "step_started", step: 2, attempt: 1, input: {} },
			{ type: "step_succeeded", step: 1, attempt: 1, output: 1 },
		]);
		expect(nextActions(oneDone, T0, TRAITS).start).toEqual([]);
		const bothDone = stateAfter(diamond, [
			{ type: "step_started", step: 1, attempt: 1, input: {} },
			{ type: "step_started", step: 2, attempt: 1, input: {} },
			{ type: "step_succeeded", step: 1, attempt: 1, output: 1 },
			{ type: "step_succeeded", step: 2, attempt: 1, output: 2 },
		]);
		expect(nextActions(bothDone, T0, TRAITS).start).toEqual([3]);
	});

	it("starts a retry when it falls due, and asks to be woken for it before then", () => {
		const retryAt = new Date(T0 + 500).toISOString();
		const state = stateAfter(planOf([[]]), [
			{ type: "step_started", step: 1, attempt: 1, input: {} },
			{
				type: "step_retry_scheduled",
				step: 1,
				attempt: 1,
				error: { code: "x", message: "x" },
				retry_at: retryAt,
			},
		]);
		expect(nextActions(state, T0 + 499, TRAITS)).toEqual({
			start: [],
			events: [],
			compensate: null,
			expired: [],
			wakeAt: T0 + 500,
			replan: false,
		});
		expect(nextActions(state, T0 + 500, TRAITS).start).toEqual([1]);
	});

	it("completes the run with the last step's output once every step succeeded", () => {
		const state = stateAfter(planOf([[], []]), [
			{ type: "step_started", step: 1, attempt: 1, input: {} },
			{ type: "step_started", step: 2, attempt: 1, input: {} },
			{ type: "step_succeeded", step: 2, attempt: 1, output: "last" },
			{ type: "step_succeeded", step: 1, attempt: 1, output: "first" },
		]);
		expect(nextActions(state, T0, TRAITS).events).toEqual([
			{ type: "run_completed", result: "last" },
		]);
	});

	it("after a failure starts nothing, skips what has not started, and waits for running steps", () => {
		const failing = stateAfter(diamond, [
			{ type: "step_started", step: 1, attempt: 1, input: {} },
			{ type: "step_started", step: 2, attempt: 1, input: {} },
			{ type: "step_failed", step: 1, attempt: 1, error: { code: "boom", message: "Boom" } },
		]);
		expect(nextActions(failing, T0, TRAITS)).toEqual({
			start: [],
			events: [
				{ type: "step_skipped", step: 3, reason: "Not started because step 1 failed" },
				{ type: "step_skipped", step: 4, reason: "Not started because step 1 failed" },
			],
			compensate: null,
			expired: [],
			wakeAt: null,
			replan: false,
		});
		const settled = stateAfter(diamond, [
			{ type: "step_started", step: 1, attempt: 1, input: {} },
			{ type: "step_started", step: 2, attempt: 1, input: {} },
			{ type: "step_failed", step: 1, attempt: 1, error: { code: "boom", message: "Boom" } },
			{ type: "step_skipped", step: 3, reason: "r" },
			{ type: "step_skipped", step: 4, reason: "r" },
			{ type: "step_succeeded", step: 2, attempt: 1, output: 2 },
		]);
		expect(nextActions(settled, T0, TRAITS).events).toEqual([
			{ type: "run_failed", error: { code: "boom", message: "Boom", step: 1 } },
		]);
	});

	it("does nothing for a finished run", () => {
		const done = stateAfter(planOf([[]]), [{ type: "run_completed", result: 1 }]);
		expect(nextActions(done, T0, TRAITS)).toEqual({
			start: [],
			events: [],
			compensate: null,
			expired: [],
			wakeAt: null,
			replan: false,
		});
	});

	it("finds attempts that no live execution owns", () => {
		const state = stateAfter(diamond, [
			{ type: "step_started", step: 1, attempt: 1, input: {} },
			{ type: "step_started", step: 2, attempt: 1, input: {} },
		]);
		expect(interruptedSteps(state, new Set([2])).map((step) => step.step_number)).toEqual([1]);
	});

	describe("settling an attempt", () => {
		const policy = DEFAULT_RETRY_POLICY;
		const half = () => 0.5;

		it("records a success", () => {
			expect(settleAttempt(1, 1, 1, { ok: true, value: 5 }, policy, T0, half)).toEqual({
				type: "step_succeeded",
				step: 1,
				attempt: 1,
				output: 5,
			});
		});

		it("schedules a transient failure for retry with backoff", () => {
			const failure = {
				ok: false as const,
				error: { code: "timeout", message: "slow", retryable: true },
			};
			expect(settleAttempt(1, 2, 2, failure, policy, T0, half)).toEqual({
				type: "step_retry_scheduled",
				step: 1,
				attempt: 2,
				error: { code: "timeout", message: "slow" },
				retry_at: new Date(T0 + 200).toISOString(),
			});
		});

		it("fails at once on a deterministic error, and after the last attempt on a transient one", () => {
			const math = {
				ok: false as const,
				error: { code: "math_error", message: "Division by zero", retryable: false },
			};
			expect(settleAttempt(1, 1, 1, math, policy, T0, half).type).toBe("step_failed");
			const interrupted = { ok: false as const, error: INTERRUPTED };
			expect(settleAttempt(1, 3, 3, interrupted, policy, T0, half).type).toBe("step_failed");
			expect(settleAttempt(1, 2, 2, interrupted, policy, T0, half).type).toBe(
				"step_retry_scheduled",
			);
		});
	});
});
