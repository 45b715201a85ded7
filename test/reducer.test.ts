import { describe, expect, it } from "vitest";
import { applyEvent, EventOrderError } from "../src/engine/run/reducer";
import { toRunView } from "../src/engine/run/state";
import { planOf, stateAfter, T0 } from "./fixtures/run-state";

const at = (ms: number) => new Date(T0 + ms).toISOString();

describe("event reducer", () => {
	const plan = planOf([[], [1]]);

	it("starts every step pending, with the plan's input", () => {
		const state = stateAfter(plan, []);
		expect(state.status).toBe("pending");
		expect(state.execution_log.map((step) => [step.step_number, step.status, step.input])).toEqual([
			[1, "pending", { expression: "1" }],
			[2, "pending", { expression: "2" }],
		]);
	});

	it("tracks attempts, resolved input, output and the latest attempt's timing", () => {
		const state = stateAfter(plan, [
			{ type: "run_started" },
			{ type: "step_started", step: 1, attempt: 1, input: { expression: "1" } },
			{
				type: "step_retry_scheduled",
				step: 1,
				attempt: 1,
				error: { code: "t", message: "m" },
				retry_at: at(100),
			},
			{ type: "step_started", step: 1, attempt: 2, input: { expression: "1" } },
			{ type: "step_succeeded", step: 1, attempt: 2, output: 1 },
		]);
		expect(state.status).toBe("running");
		expect(state.started_at).toBe(at(1));
		expect(state.execution_log[0]).toEqual({
			step_number: 1,
			tool: "calculator",
			input: { expression: "1" },
			output: 1,
			status: "succeeded",
			error: null,
			attempts: 2,
			attempts_before_retry: 0,
			deferrals: 0,
			effect_generation: 0,
			started_at: at(4),
			completed_at: at(5),
			duration_ms: 1,
			next_attempt_at: null,
			deadline_at: null,
			waiting_for: null,
			requires_approval: false,
			approval: null,
			compensation: null,
			reused_from: null,
		});
	});

	it("puts a deferred step off to its time without spending an attempt", () => {
		const state = stateAfter(planOf([[]]), [
			{ type: "step_deferred", step: 1, reason: "circuit_open:calculator", until: at(500) },
		]);
		expect(state.execution_log[0]).toMatchObject({
			status: "retry_scheduled",
			attempts: 0,
			deferrals: 1,
			waiting_for: "circuit_open:calculator",
			next_attempt_at: at(500),
		});
	});

	it("counts a new effect generation each time compensation undoes the step", () => {
		const state = stateAfter(planOf([[]]), [
			{ type: "step_started", step: 1, attempt: 1, input: {} },
			{ type: "step_succeeded", step: 1, attempt: 1, output: 1 },
			{ type: "step_compensated", step: 1, output: null },
		]);
		expect(state.execution_log[0]).toMatchObject({ status: "compensated", effect_generation: 1 });
	});

	it("records a retry's error and due time, then a final failure", () => {
		const retrying = stateAfter(plan, [
			{ type: "step_started", step: 1, attempt: 1, input: {} },
			{
				type: "step_retry_scheduled",
				step: 1,
				attempt: 1,
				error: { code: "t", message: "m" },
				retry_at: at(50),
			},
		]);
		expect(retrying.execution_log[0]).toMatchObject({
			status: "retry_scheduled",
			error: { code: "t", message: "m" },
			next_attempt_at: at(50),
		});
		const failed = stateAfter(plan, [
			{ type: "step_started", step: 1, attempt: 1, input: {} },
			{
				type: "step_failed",
				step: 1,
				attempt: 1,
				error: { code: "math_error", message: "Division by zero" },
			},
			{ type: "step_skipped", step: 2, reason: "Not started because step 1 failed" },
			{ type: "run_failed", error: { code: "math_error", message: "Division by zero", step: 1 } },
		]);
		expect(failed.status).toBe("failed");
		expect(failed.completed_at).toBe(at(4));
		expect(failed.execution_log[1]).toMatchObject({
			status: "skipped",
			attempts: 0,
			error: { code: "dependency_failed", message: "Not started because step 1 failed" },
		});
	});

	it("completes with the result and tracks the last sequence number", () => {
		const state = stateAfter(plan, [{ type: "run_completed", result: { value: 3 } }]);
		expect(state).toMatchObject({ status: "completed", result: { value: 3 }, seq: 2 });
	});

	it("rejects events out of order", () => {
		expect(() =>
			applyEvent(undefined, { seq: 1, at: at(0), data: { type: "run_started" } }),
		).toThrow(EventOrderError);
		const state = stateAfter(plan, []);
		expect(() =>
			applyEvent(state, {
				seq: 2,
				at: at(1),
				data: { type: "step_started", step: 9, attempt: 1, input: {} },
			}),
		).toThrow("Event names step 9, which the plan lacks");
	});

	it("shows a step by allow-list, keeping retry and effect bookkeeping inside", () => {
		const view = toRunView(stateAfter(plan, []));
		const keys = Object.keys(view.execution_log[0] ?? {});
		expect(keys).toContain("deferrals");
		for (const hidden of ["attempts_before_retry", "effect_generation"]) {
			expect(keys).not.toContain(hidden);
		}
	});

	it("leaves bookkeeping out of the API view", () => {
		const view = toRunView(stateAfter(plan, []));
		expect(Object.keys(view)).toEqual([
			"run_id",
			"prompt",
			"status",
			"plan",
			"forked_from",
			"trace_id",
			"mode",
			"rounds",
			"max_rounds",
			"agent",
			"budget",
			"execution_log",
			"result",
			"error",
			"cancel",
			"created_at",
			"started_at",
			"completed_at",
		]);
	});
});
