import {
	abortAllDurableObjects,
	createExecutionContext,
	createMessageBatch,
	getQueueResult,
	runDurableObjectAlarm,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { resolvePolicy } from "../src/engine/resilience/retry-policy";
import type { RunEvent } from "../src/engine/run/events";
import { type ToolWork, toolWorkFor } from "../src/engine/run/tool-work";
import { toolRegistry } from "../src/engine/tools/registry";
import worker from "../src/worker/index";
import { step } from "./fixtures/plans";
import {
	api,
	clientFor,
	eventsOf,
	followEvents,
	settle,
	startPlan,
	stubFor,
} from "./fixtures/runs";

const registry = toolRegistry({ includeDevTools: true });

// Every test here goes through the real local queue and its consumer (src/worker/queue), which
// wrangler.toml wires to this Worker: the run's object sends, the consumer runs the tool and
// reports back over RPC. Test settings: a queued attempt times out 1 s after its timeout, and a
// failed delivery comes back at once (vitest.config.ts).

function typesOf(events: RunEvent[]) {
	return events.map((event) => event.data.type);
}

/**
 * The message a run's object sent for `step`'s `attempt`, built again by the engine's own
 * function from what the run's log says of that attempt.
 */
async function workOf(runId: string, stepNumber: number, attempt: number): Promise<ToolWork> {
	const started = (await eventsOf(runId)).find(
		(event) =>
			event.data.type === "step_started" &&
			event.data.step === stepNumber &&
			event.data.attempt === attempt,
	);
	if (started?.data.type !== "step_started") throw new Error("step never started");
	const tool = "chaos.queued";
	const built = toolWorkFor(
		{ run_id: runId, tenant: "default" },
		{
			step_number: stepNumber,
			effect_generation: 0,
			tool,
			attempt,
			input: started.data.input,
			timeout_ms: resolvePolicy(registry.get(tool)?.retry, undefined).timeout_ms,
		},
	);
	if (!("work" in built)) throw new Error("the work does not fit in a message");
	return built.work;
}

/** A step that holds the run open, waiting for approval, until the test approves it. */
const held = (stepNumber: number, after: number[]) => ({
	...step(stepNumber, "calculator", { expression: "1" }, after),
	requires_approval: true,
});

async function release(runId: string, stepNumber: number): Promise<void> {
	const res = await api(`/runs/${runId}/steps/${stepNumber}/approve`, { method: "POST" });
	expect(res.status).toBe(200);
}

describe("queued tools", () => {
	it("send a queued step through the queue and back: queued, then succeeded", async () => {
		const runId = await startPlan({
			goal: "round trip",
			steps: [
				step(1, "chaos.queued", { output: { via: "queue" } }),
				step(2, "calculator", { expression: "1 + 1" }, [1]),
			],
		});
		const run = await settle(runId);
		expect(run.status).toBe("completed");
		expect(run.execution_log[0]).toMatchObject({
			status: "succeeded",
			attempts: 1,
			output: { via: "queue" },
			deadline_at: null,
		});
		const types = typesOf(await eventsOf(runId));
		expect(types.indexOf("step_queued")).toBeGreaterThan(types.indexOf("step_started"));
		expect(types.indexOf("step_succeeded")).toBeGreaterThan(types.indexOf("step_queued"));
	});

	it("ignores a duplicate delivery and records it, leaving the step as it was", async () => {
		const runId = await startPlan({
			goal: "duplicate",
			steps: [
				step(1, "chaos.queued", { output: "first" }),
				// Keeps the run live while the duplicate arrives.
				held(2, [1]),
			],
		});
		await followEvents(runId, (event) => event.data.type === "approval_requested");
		const before = (await clientFor(runId).view("default"))?.execution_log[0];
		const lastSeq = (await eventsOf(runId)).at(-1)?.seq ?? 0;
		await env.TOOL_QUEUE.send(await workOf(runId, 1, 1), { contentType: "json" });
		const ignoredAfter = (event: RunEvent) =>
			event.seq > lastSeq && event.data.type === "step_delivery_ignored";
		const ignored = (await followEvents(runId, ignoredAfter)).find(ignoredAfter);
		expect(ignored?.data).toEqual({
			type: "step_delivery_ignored",
			step: 1,
			attempt: 1,
			reason: "duplicate",
			source: "consumer",
		});
		await release(runId, 2);
		const run = await settle(runId);
		expect(run.status).toBe("completed");
		expect(run.execution_log[0]).toEqual(before);
	});

	it("ignores a late delivery of an earlier attempt and records it", async () => {
		const runId = await startPlan(
			{
				goal: "late",
				steps: [step(1, "chaos.queued", { behaviours: [{ fail: "retryable" }, {}] }), held(2, [1])],
			},
			{ policy: { base_delay_ms: 0 } },
		);
		await followEvents(runId, (event) => event.data.type === "approval_requested");
		const lastSeq = (await eventsOf(runId)).at(-1)?.seq ?? 0;
		await env.TOOL_QUEUE.send(await workOf(runId, 1, 1), { contentType: "json" });
		const ignoredAfter = (event: RunEvent) =>
			event.seq > lastSeq && event.data.type === "step_delivery_ignored";
		const ignored = (await followEvents(runId, ignoredAfter)).find(ignoredAfter);
		expect(ignored?.data).toMatchObject({ step: 1, attempt: 1, reason: "late" });
		await release(runId, 2);
		const run = await settle(runId);
		expect(run.execution_log[0]).toMatchObject({ status: "succeeded", attempts: 2 });
	});

	it("times out an attempt whose report never comes, and retries it", async () => {
		const runId = await startPlan(
			{
				goal: "lost report",
				steps: [step(1, "chaos.queued", { behaviours: [{ fault: "drop_report" }, {}] })],
			},
			{ policy: { timeout_ms: 200, base_delay_ms: 0 } },
		);
		const run = await settle(runId);
		expect(run.status).toBe("completed");
		expect(run.execution_log[0]).toMatchObject({ attempts: 2, output: { attempt: 2 } });
		const retry = (await eventsOf(runId)).find(
			(event) => event.data.type === "step_retry_scheduled",
		);
		expect(retry?.data).toMatchObject({
			step: 1,
			attempt: 1,
			error: {
				code: "timeout",
				message: expect.stringContaining("No report from the queue consumer"),
			},
		});
	});

	it("fails a step whose message is dead-lettered, with the deliveries it took", async () => {
		const runId = await startPlan({
			goal: "poison",
			steps: [step(1, "chaos.queued", { behaviours: [{ fault: "crash_consumer" }] })],
		});
		const run = await settle(runId);
		expect(run.status).toBe("failed");
		expect(run.execution_log[0]).toMatchObject({
			status: "failed",
			attempts: 1,
			error: {
				code: "dead_lettered",
				// max_retries = 3 in wrangler.toml: four deliveries, then the dead-letter queue.
				message: expect.stringMatching(/gave up on attempt 1 of step 1 after 4 failed deliveries/),
			},
		});
		const failures = (await eventsOf(runId)).filter(
			(event) => event.data.type === "step_delivery_failed",
		);
		expect(
			failures.map((event) => event.data.type === "step_delivery_failed" && event.data.delivery),
		).toEqual([1, 2, 3, 4]);
	});

	it("handles a batch's messages on their own: one failing is retried alone, the rest are acked", async () => {
		const slow = { latency_ms: 1_500 };
		const crashing = await startPlan({
			goal: "crash",
			steps: [step(1, "chaos.queued", { behaviours: [{ ...slow, fault: "crash_consumer" }] })],
		});
		const fine = await startPlan({
			goal: "fine",
			steps: [step(1, "chaos.queued", { behaviours: [slow] })],
		});
		await followEvents(crashing, (event) => event.data.type === "step_queued");
		await followEvents(fine, (event) => event.data.type === "step_queued");
		const batch = createMessageBatch<unknown>("tool-work", [
			{ id: "crash", timestamp: new Date(), attempts: 1, body: await workOf(crashing, 1, 1) },
			{ id: "fine", timestamp: new Date(), attempts: 1, body: await workOf(fine, 1, 1) },
			{ id: "junk", timestamp: new Date(), attempts: 1, body: { not: "tool work" } },
		]);
		const ctx = createExecutionContext();
		await worker.queue(batch, env);
		const result = await getQueueResult(batch, ctx);
		expect(result.outcome).toBe("ok");
		expect(result.retryBatch.retry).toBe(false);
		expect(result.retryMessages.map((message: { msgId: string }) => message.msgId)).toEqual([
			"crash",
		]);
		expect([...result.explicitAcks].sort()).toEqual(["fine", "junk"]);
		expect((await settle(fine)).status).toBe("completed");
	});
});

describe("queued tools across a restart", () => {
	it("keep a queued attempt through an object restart and accept its report after it", async () => {
		const runId = await startPlan({
			goal: "restart",
			steps: [step(1, "chaos.queued", { behaviours: [{ latency_ms: 500 }], output: "survived" })],
		});
		await followEvents(runId, (event) => event.data.type === "step_queued");
		await abortAllDurableObjects();
		await runDurableObjectAlarm(stubFor(runId));
		const run = await settle(runId);
		expect(run.execution_log[0]).toMatchObject({
			status: "succeeded",
			attempts: 1,
			output: "survived",
		});
		expect(typesOf(await eventsOf(runId))).not.toContain("step_retry_scheduled");
	});
});

describe("queued tool inputs", () => {
	it("fail a step whose resolved input will not fit in a queue message, without retrying", async () => {
		const big = "x".repeat(60_000);
		const runId = await startPlan({
			goal: "too big",
			steps: [
				step(1, "chaos", { output: `${big}${big}${big}` }),
				step(2, "chaos.queued", { output: { $ref: "steps.1.output" } }, [1]),
			],
		});
		const run = await settle(runId);
		expect(run.execution_log[1]).toMatchObject({
			status: "failed",
			attempts: 1,
			error: { code: "input_too_large" },
		});
	});
});
