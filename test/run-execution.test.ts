import { abortAllDurableObjects, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { RunEvent } from "../src/engine/run/events";
import { step } from "./fixtures/plans";
import { clientFor, eventsOf, followEvents, settle, startPlan, stubFor } from "./fixtures/runs";

function slow(ms: number) {
	return { behaviours: [{ latency_ms: ms }] };
}

function seqOf(events: RunEvent[], type: string, stepNumber: number): number[] {
	return events
		.filter(
			(event) => event.data.type === type && "step" in event.data && event.data.step === stepNumber,
		)
		.map((event) => event.seq);
}

describe("run execution", () => {
	it("starts independent steps together: both start before either finishes", async () => {
		const runId = await startPlan({
			goal: "two slow steps",
			steps: [
				step(1, "chaos", slow(50)),
				step(2, "chaos", slow(50)),
				step(3, "calculator", { expression: "1" }, [1, 2]),
			],
		});
		await settle(runId);
		const events = await eventsOf(runId);
		const lastStart = Math.max(
			...seqOf(events, "step_started", 1),
			...seqOf(events, "step_started", 2),
		);
		const firstFinish = Math.min(
			...seqOf(events, "step_succeeded", 1),
			...seqOf(events, "step_succeeded", 2),
		);
		expect(lastStart).toBeLessThan(firstFinish);
		const run = await clientFor(runId).view("default");
		const [a, b] = run?.execution_log ?? [];
		// They overlapped in time too: each started before the other completed.
		expect(Date.parse(String(a?.started_at))).toBeLessThan(Date.parse(String(b?.completed_at)));
		expect(Date.parse(String(b?.started_at))).toBeLessThan(Date.parse(String(a?.completed_at)));
		expect(seqOf(events, "step_started", 3)[0]).toBeGreaterThan(firstFinish);
	});

	it("retries a transient failure with backoff, then succeeds", async () => {
		const runId = await startPlan(
			{
				goal: "flaky",
				steps: [
					step(1, "chaos", {
						behaviours: [{ fail: "retryable" }, { fail: "retryable" }, {}],
						output: "ok",
					}),
				],
			},
			{ policy: { base_delay_ms: 40, max_delay_ms: 1_000 } },
		);
		const run = await settle(runId);
		expect(run.status).toBe("completed");
		expect(run.result).toBe("ok");
		expect(run.execution_log[0]?.attempts).toBe(3);
		const events = await eventsOf(runId);
		const retries = events.filter((event) => event.data.type === "step_retry_scheduled");
		expect(retries.map((event) => event.data)).toEqual([
			expect.objectContaining({
				attempt: 1,
				error: { code: "chaos", message: "Injected retryable failure on attempt 1" },
			}),
			expect.objectContaining({ attempt: 2 }),
		]);
		// Full jitter: each delay lies in [0, base * 2^(attempt-1)), and the next attempt waits for it.
		for (const [index, retry] of retries.entries()) {
			if (retry.data.type !== "step_retry_scheduled") throw new Error("unreachable");
			const delay = Date.parse(retry.data.retry_at) - Date.parse(retry.at);
			expect(delay).toBeGreaterThanOrEqual(0);
			expect(delay).toBeLessThan(40 * 2 ** index);
			const nextStart = events.find(
				(event) => event.seq > retry.seq && event.data.type === "step_started",
			);
			expect(Date.parse(String(nextStart?.at))).toBeGreaterThanOrEqual(
				Date.parse(retry.data.retry_at),
			);
		}
	});

	it("fails after the last attempt, and fails at once on a deterministic error", async () => {
		const flaky = await startPlan(
			{ goal: "always flaky", steps: [step(1, "chaos", { behaviours: [{ fail: "retryable" }] })] },
			{ policy: { base_delay_ms: 0 } },
		);
		expect(await settle(flaky)).toMatchObject({
			status: "failed",
			execution_log: [{ status: "failed", attempts: 3 }],
		});
		const fatal = await startPlan({
			goal: "fatal",
			steps: [step(1, "chaos", { behaviours: [{ fail: "fatal" }] })],
		});
		expect(await settle(fatal)).toMatchObject({
			status: "failed",
			execution_log: [{ attempts: 1 }],
		});
	});

	it("times out a slow attempt and retries it", async () => {
		const runId = await startPlan(
			{
				goal: "hang once",
				steps: [step(1, "chaos", { behaviours: [{ hang: true }, {}], output: 1 })],
			},
			{ policy: { timeout_ms: 50, base_delay_ms: 0 } },
		);
		const run = await settle(runId);
		expect(run).toMatchObject({ status: "completed", execution_log: [{ attempts: 2 }] });
		const events = await eventsOf(runId);
		expect(events.find((event) => event.data.type === "step_retry_scheduled")?.data).toMatchObject({
			error: { code: "timeout", message: "'chaos' did not finish within 50 ms" },
		});
	});

	it("lets running siblings finish after a failure, and never starts dependents", async () => {
		const runId = await startPlan({
			goal: "one fails",
			steps: [
				step(1, "calculator", { expression: "1/0" }),
				step(2, "chaos", { ...slow(50), output: "finished" }),
				step(3, "calculator", { expression: "1" }, [1]),
				step(4, "calculator", { expression: "2" }, [2]),
			],
		});
		const run = await settle(runId);
		expect(run.status).toBe("failed");
		expect(run.error).toEqual({ code: "math_error", message: "Division by zero", step: 1 });
		expect(run.execution_log.map((s) => [s.step_number, s.status, s.attempts])).toEqual([
			[1, "failed", 1],
			[2, "succeeded", 1],
			[3, "skipped", 0],
			[4, "skipped", 0],
		]);
		expect(run.execution_log[1]?.output).toBe("finished");
	});

	it("fails a step whose reference names a missing field, without running the tool", async () => {
		const runId = await startPlan({
			goal: "bad ref",
			steps: [
				step(1, "calculator", { expression: "2" }),
				step(2, "calculator", {
					expression: "x",
					variables: { x: { $ref: "steps.1.output.nope" } },
				}),
			],
		});
		const run = await settle(runId);
		expect(run.execution_log[1]).toMatchObject({
			status: "failed",
			attempts: 1,
			error: {
				code: "unresolved_reference",
				message: "Reference 'steps.1.output.nope' names no recorded output",
			},
		});
	});

	it("resumes after its object is aborted mid-run, without re-running finished steps", async () => {
		const runId = await startPlan(
			{
				goal: "crash in the middle",
				steps: [
					step(1, "todo.add", { title: "survive the crash" }),
					step(2, "chaos", { behaviours: [{ latency_ms: 60_000 }, {}], output: "second try" }, [1]),
					step(3, "todo.list", { status: "all" }, [2]),
				],
			},
			{ policy: { timeout_ms: 120_000, base_delay_ms: 0 } },
		);
		await followEvents(
			runId,
			(event) => event.data.type === "step_started" && event.data.step === 2,
		);
		await abortAllDurableObjects();

		// The watchdog alarm stands in for the dead handler; run it now rather than wait for it.
		expect(await runDurableObjectAlarm(stubFor(runId))).toBe(true);
		const run = await settle(runId);
		expect(run.status).toBe("completed");
		const events = await eventsOf(runId);
		expect(seqOf(events, "step_started", 1)).toHaveLength(1);
		expect(seqOf(events, "step_started", 2)).toHaveLength(2);
		expect(events.find((event) => event.data.type === "step_retry_scheduled")?.data).toMatchObject({
			step: 2,
			attempt: 1,
			error: { code: "interrupted" },
		});
		expect(run.execution_log[1]).toMatchObject({
			status: "succeeded",
			attempts: 2,
			output: "second try",
		});
		const todos = (run.result as { todos: Array<{ title: string }> }).todos;
		expect(todos.filter((todo) => todo.title === "survive the crash")).toHaveLength(1);
	});

	it("keeps its sequence numbers gapless and its log append-only", async () => {
		const runId = await startPlan({
			goal: "g",
			steps: [step(1, "calculator", { expression: "1+1" })],
		});
		await settle(runId);
		const events = await eventsOf(runId);
		expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
		expect(events.map((event) => event.data.type)).toEqual([
			"run_created",
			"run_started",
			"step_started",
			"step_succeeded",
			"run_completed",
		]);
	});
});
