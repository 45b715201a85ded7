import { describe, expect, it } from "vitest";
import { DEFAULT_RETRY_POLICY } from "../src/engine/resilience/retry-policy";
import { interruptedSteps, nextActions, settleAttempt } from "../src/engine/run/scheduler";
import { deliveryVerdict, MAX_TOOL_WORK_BYTES, toolWorkFor } from "../src/engine/run/tool-work";
import { planOf, stateAfter, T0, TRAITS } from "./fixtures/run-state";

// The pure side of queued steps and bulkheads: deadlines, waiting steps and delivery verdicts.
const deadline = new Date(T0 + 1_000).toISOString();
const queued = stateAfter(planOf([[], []]), [
	{ type: "run_started" },
	{ type: "step_started", step: 1, attempt: 1, input: {} },
	{ type: "step_queued", step: 1, attempt: 1, deadline },
	{ type: "step_started", step: 2, attempt: 1, input: {} },
]);

describe("queued steps in the scheduler", () => {
	it("waits for a queued attempt until its deadline, then expires it", () => {
		expect(nextActions(queued, T0 + 999, TRAITS)).toMatchObject({
			expired: [],
			wakeAt: T0 + 1_000,
		});
		expect(nextActions(queued, T0 + 1_000, TRAITS).expired).toEqual([{ step: 1, attempt: 1 }]);
	});

	it("expires a queued attempt while the run winds down after a failure", () => {
		const failing = stateAfter(planOf([[], []]), [
			{ type: "step_started", step: 1, attempt: 1, input: {} },
			{ type: "step_queued", step: 1, attempt: 1, deadline },
			{ type: "step_started", step: 2, attempt: 1, input: {} },
			{ type: "step_failed", step: 2, attempt: 1, error: { code: "x", message: "x" } },
		]);
		expect(nextActions(failing, T0, TRAITS)).toMatchObject({ expired: [], wakeAt: T0 + 1_000 });
		expect(nextActions(failing, T0 + 1_000, TRAITS).expired).toEqual([{ step: 1, attempt: 1 }]);
	});

	it("never counts a queued attempt as interrupted: the queue holds it, not the object", () => {
		expect(interruptedSteps(queued, new Set()).map((step) => step.step_number)).toEqual([2]);
	});

	it("accepts only the current attempt's delivery", () => {
		expect(deliveryVerdict(queued, 1, 1)).toBe("current");
		expect(deliveryVerdict(queued, 1, 2)).toBe("late");
		// Step 2 runs inline: a delivery for it is not the queue's to make.
		expect(deliveryVerdict(queued, 2, 1)).toBe("late");
		const settled = stateAfter(planOf([[]]), [
			{ type: "step_started", step: 1, attempt: 1, input: {} },
			{ type: "step_queued", step: 1, attempt: 1, deadline },
			{ type: "step_succeeded", step: 1, attempt: 1, output: 1 },
		]);
		expect(deliveryVerdict(settled, 1, 1)).toBe("duplicate");
		expect(settled.execution_log[0]?.deadline_at).toBeNull();
	});
});

describe("bulkhead waits and breaker retries in the scheduler", () => {
	it("keeps a step turned away by a bulkhead ready, and offers it again", () => {
		const waiting = stateAfter(planOf([[]]), [
			{ type: "run_started" },
			{ type: "step_waiting", step: 1, reason: "bulkhead tool:x is full (10 running)" },
		]);
		expect(waiting.execution_log[0]).toMatchObject({ status: "ready", attempts: 0 });
		expect(waiting.status).toBe("running");
		expect(nextActions(waiting, T0, TRAITS).start).toEqual([1]);
	});

	it("skips a waiting step when another fails", () => {
		const failed = stateAfter(planOf([[], []]), [
			{ type: "step_waiting", step: 1, reason: "full" },
			{ type: "step_started", step: 2, attempt: 1, input: {} },
			{ type: "step_failed", step: 2, attempt: 1, error: { code: "x", message: "x" } },
		]);
		expect(nextActions(failed, T0, TRAITS).events[0]).toMatchObject({
			type: "step_skipped",
			step: 1,
		});
	});

	it("schedules the retry of a circuit_open attempt no sooner than the cool-down", () => {
		const result = {
			ok: false as const,
			error: { code: "circuit_open", message: "open", retryable: true, retry_after_ms: 5_000 },
		};
		const event = settleAttempt(1, 1, 1, result, DEFAULT_RETRY_POLICY, T0, () => 0);
		expect(event).toMatchObject({
			type: "step_retry_scheduled",
			retry_at: new Date(T0 + 5_000).toISOString(),
		});
	});
});

describe("tool work messages", () => {
	const run = { run_id: "a".repeat(64), tenant: "acme" };
	const attempt = {
		step_number: 2,
		effect_generation: 0,
		attempt: 3,
		tool: "http.request",
		timeout_ms: 500,
	};

	it("carry everything the consumer needs, keyed for idempotency by run and step", () => {
		expect(toolWorkFor(run, { ...attempt, input: { url: "https://x.test/" } })).toEqual({
			work: {
				run_id: run.run_id,
				tenant: "acme",
				step_number: 2,
				attempt: 3,
				idempotency_key: `${run.run_id}:2`,
				tool: "http.request",
				input: { url: "https://x.test/" },
				timeout_ms: 500,
			},
		});
	});

	it("name the effect's generation in the key once compensation has undone it", () => {
		const redo = toolWorkFor(run, { ...attempt, effect_generation: 1, input: {} });
		expect(redo).toMatchObject({ work: { idempotency_key: `${run.run_id}:2:g1` } });
	});

	it("refuse an input that would not fit in a queue message", () => {
		const input = { body: "x".repeat(MAX_TOOL_WORK_BYTES) };
		expect(toolWorkFor(run, { ...attempt, input })).toMatchObject({
			failure: { ok: false, error: { code: "input_too_large", retryable: false } },
		});
	});
});
