import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { RunView } from "../src/engine/run/state";
import { step } from "./fixtures/plans";
import {
	api,
	eventsOf,
	followEvents,
	postJson,
	settle,
	startPlan,
	stubFor,
	todoTitles,
} from "./fixtures/runs";

const startedCount = async (runId: string, stepNumber: number) =>
	(await eventsOf(runId)).filter(
		(e) => e.data.type === "step_started" && e.data.step === stepNumber,
	).length;

describe("cancel", () => {
	it("cancels during a wait, stops what is left, and undoes completed steps when asked", async () => {
		const runId = await startPlan({
			goal: "add, wait, list",
			steps: [
				step(1, "todo.add", { title: "undo me on cancel" }),
				step(2, "wait", { ms: 60_000 }, [1]),
				step(3, "todo.list", { status: "all" }, [2]),
			],
		});
		await followEvents(runId, (event) => event.data.type === "step_sleeping");
		expect(await todoTitles()).toContain("undo me on cancel");

		const res = await postJson(`/runs/${runId}/cancel`, {
			compensate: true,
			reason: "changed my mind",
		});
		expect(res.status).toBe(200);
		expect(((await res.json()) as RunView).status).toBe("cancelling");
		const run = await settle(runId);
		expect(run.status).toBe("cancelled");
		expect(run.cancel).toMatchObject({ compensate: true, reason: "changed my mind" });
		expect(run.execution_log.map((s) => s.status)).toEqual([
			"compensated",
			"cancelled",
			"cancelled",
		]);
		expect(run.execution_log[0]?.compensation).toMatchObject({ status: "compensated" });
		expect(await startedCount(runId, 3)).toBe(0);
		expect(await todoTitles()).not.toContain("undo me on cancel");
		const types = (await eventsOf(runId)).map((event) => event.data.type);
		expect(types.slice(types.indexOf("run_cancel_requested"))).toEqual([
			"run_cancel_requested",
			"step_cancelled",
			"step_cancelled",
			"step_compensated",
			"run_cancelled",
		]);
	});

	it("aborts a running tool through its signal, and leaves effects alone without compensate", async () => {
		const runId = await startPlan({
			goal: "add then hang",
			steps: [
				step(1, "todo.add", { title: "keep me after cancel" }),
				step(2, "chaos", { behaviours: [{ hang: true }] }, [1]),
			],
		});
		await followEvents(
			runId,
			(event) => event.data.type === "step_started" && event.data.step === 2,
		);
		const res = await api(`/runs/${runId}`, { method: "DELETE" });
		expect(res.status).toBe(200);
		const run = await settle(runId);
		expect(run.status).toBe("cancelled");
		expect(run.execution_log.map((s) => s.status)).toEqual(["succeeded", "cancelled"]);
		expect(run.execution_log[1]?.error).toEqual({
			code: "cancelled",
			message: "Stopped by the cancel",
		});
		expect(await todoTitles()).toContain("keep me after cancel");
	});

	it("refuses to cancel a finished run with 409 and its status", async () => {
		const runId = await startPlan({
			goal: "g",
			steps: [step(1, "calculator", { expression: "1" })],
		});
		await settle(runId);
		const res = await postJson(`/runs/${runId}/cancel`, {});
		expect(res.status).toBe(409);
		expect(await res.json()).toMatchObject({
			error: { code: "invalid_state", details: { status: "completed" } },
		});
	});
});

describe("retry", () => {
	it("re-runs only the failed step, keeping outputs, attempts and the run id", async () => {
		const runId = await startPlan(
			{
				goal: "add then flaky",
				steps: [
					step(1, "todo.add", { title: "added once" }),
					step(
						2,
						"chaos",
						{ behaviours: [{ fail: "retryable" }, {}], output: "second time lucky" },
						[1],
					),
				],
			},
			{ policy: { max_attempts: 1 } },
		);
		const failed = await settle(runId);
		expect(failed.status).toBe("failed");
		const output = failed.execution_log[0]?.output;

		const res = await api(`/runs/${runId}/retry`, { method: "POST" });
		expect(res.status).toBe(200);
		const run = await settle(runId);
		expect(run).toMatchObject({
			run_id: runId,
			status: "completed",
			error: null,
			result: "second time lucky",
		});
		expect(run.execution_log[0]?.output).toEqual(output);
		expect(run.execution_log[1]?.attempts).toBe(2);
		expect(await startedCount(runId, 1)).toBe(1);
		expect((await todoTitles()).filter((title) => title === "added once")).toHaveLength(1);
	});

	it("refuses to retry a run that has not failed", async () => {
		const runId = await startPlan({
			goal: "g",
			steps: [step(1, "calculator", { expression: "1" })],
		});
		await settle(runId);
		const res = await api(`/runs/${runId}/retry`, { method: "POST" });
		expect(res.status).toBe(409);
		expect(await res.json()).toMatchObject({
			error: { code: "invalid_state", details: { status: "completed" } },
		});
	});
});

describe("fork", () => {
	const plan = {
		goal: "fork me",
		steps: [
			step(1, "calculator", { expression: "2+3" }),
			step(2, "chaos", { behaviours: [{}], output: 21 }, [1]),
			step(
				3,
				"calculator",
				{ expression: "x * 2", variables: { x: { $ref: "steps.2.output" } } },
				[2],
			),
			step(4, "calculator", { expression: "10" }),
		],
	};

	it("reuses every output that does not depend on from_step and runs the rest again", async () => {
		const source = await startPlan(plan);
		await settle(source);
		const res = await postJson(`/runs/${source}/fork`, { from_step: 2 });
		expect(res.status).toBe(201);
		const created = (await res.json()) as { run_id: string; forked_from: unknown };
		expect(created.run_id).not.toBe(source);
		expect(created.forked_from).toEqual({ run_id: source, from_step: 2 });
		const run = await settle(created.run_id);
		expect(run.status).toBe("completed");
		expect(run.execution_log.map((s) => [s.step_number, s.reused_from === source])).toEqual([
			[1, true],
			[2, false],
			[3, false],
			[4, true],
		]);
		expect(await startedCount(created.run_id, 1)).toBe(0);
		expect(await startedCount(created.run_id, 2)).toBe(1);
		expect(await startedCount(created.run_id, 3)).toBe(1);
		expect(await startedCount(created.run_id, 4)).toBe(0);
		expect(run.result).toBe(10);
		expect(run.execution_log[2]?.output).toBe(42);
	});

	it("without from_step reuses every completed step and runs what failed", async () => {
		const source = await startPlan({
			goal: "half",
			steps: [
				step(1, "calculator", { expression: "6*7" }),
				step(2, "todo.complete", { title: "exists after the fork" }),
			],
		});
		expect((await settle(source)).status).toBe("failed");
		await settle(
			(
				(await (
					await postJson("/runs", { prompt: "add a todo to exists after the fork" })
				).json()) as { run_id: string }
			).run_id,
		);
		const res = await postJson(`/runs/${source}/fork`, {});
		const { run_id } = (await res.json()) as { run_id: string };
		const run = await settle(run_id);
		expect(run.status).toBe("completed");
		expect(run.execution_log[0]).toMatchObject({
			status: "succeeded",
			output: 42,
			attempts: 0,
			reused_from: source,
		});
		expect(run.execution_log[1]).toMatchObject({
			status: "succeeded",
			attempts: 1,
			reused_from: null,
		});
	});

	it("rejects a from_step outside the plan", async () => {
		const source = await startPlan({
			goal: "g",
			steps: [step(1, "calculator", { expression: "1" })],
		});
		await settle(source);
		const res = await postJson(`/runs/${source}/fork`, { from_step: 9 });
		expect(res.status).toBe(400);
	});
});

describe("approvals", () => {
	async function deleteRun(options: Record<string, unknown> = {}) {
		await settle(
			(
				(await (await postJson("/runs", { prompt: "add a todo to approve deletion" })).json()) as {
					run_id: string;
				}
			).run_id,
		);
		const res = await postJson("/runs", { prompt: "delete the todo approve deletion", ...options });
		const created = (await res.json()) as {
			run_id: string;
			plan: { steps: Array<{ requires_approval: boolean }> };
		};
		expect(created.plan.steps[0]?.requires_approval).toBe(true);
		await followEvents(created.run_id, (event) => event.data.type === "approval_requested");
		return created.run_id;
	}

	it("waits durably for approval, then runs the step once approved", async () => {
		const runId = await deleteRun();
		const waiting = (await (await api(`/runs/${runId}`)).json()) as RunView;
		expect(waiting.status).toBe("waiting_approval");
		expect(waiting.execution_log[0]).toMatchObject({
			status: "ready",
			approval: { status: "requested" },
		});
		expect(await startedCount(runId, 1)).toBe(0);

		const res = await api(`/runs/${runId}/steps/1/approve`, { method: "POST" });
		expect(res.status).toBe(200);
		const run = await settle(runId);
		expect(run.status).toBe("completed");
		expect(run.execution_log[0]).toMatchObject({
			status: "succeeded",
			approval: { status: "approved" },
		});
		expect(await todoTitles()).not.toContain("approve deletion");
	});

	it("fails the step and the run on rejection, with the reason", async () => {
		const runId = await deleteRun();
		const res = await postJson(`/runs/${runId}/steps/1/reject`, { reason: "keep it" });
		expect(res.status).toBe(200);
		const run = await settle(runId);
		expect(run.status).toBe("failed");
		expect(run.error).toEqual({ code: "approval_rejected", message: "keep it", step: 1 });
		expect(await startedCount(runId, 1)).toBe(0);
	});

	it("expires an unanswered approval with approval_expired", async () => {
		const runId = await deleteRun({ approval_ttl_ms: 1 });
		await runDurableObjectAlarm(stubFor(runId));
		const run = await settle(runId);
		expect(run.status).toBe("failed");
		expect(run.execution_log[0]?.error).toMatchObject({ code: "approval_expired" });
	});

	it("refuses approval decisions for steps that are not waiting, and unknown steps", async () => {
		const runId = await startPlan({
			goal: "g",
			steps: [step(1, "calculator", { expression: "1" })],
		});
		await settle(runId);
		expect((await api(`/runs/${runId}/steps/1/approve`, { method: "POST" })).status).toBe(409);
		expect((await api(`/runs/${runId}/steps/7/approve`, { method: "POST" })).status).toBe(404);
		expect((await postJson(`/runs/${runId}/steps/1/reject`, {})).status).toBe(400);
		expect((await api(`/runs/${runId}/steps/zero/approve`, { method: "POST" })).status).toBe(400);
	});
});

describe("client-written plans", () => {
	it("runs a plan sent instead of a prompt, validated like any other", async () => {
		const res = await postJson("/runs", {
			plan: {
				goal: "mine",
				steps: [{ step_number: 1, tool: "calculator", input: { expression: "6*7" } }],
			},
		});
		expect(res.status).toBe(201);
		const created = (await res.json()) as {
			run_id: string;
			prompt: null;
			plan: { planner: string };
		};
		expect(created.plan.planner).toBe("client");
		expect((await settle(created.run_id)).result).toBe(42);
	});

	it("rejects an invalid plan with 400 invalid_plan, and both or neither of prompt and plan", async () => {
		const bad = await postJson("/runs", {
			plan: { goal: "x", steps: [{ step_number: 1, tool: "nope", input: {} }] },
		});
		expect(bad.status).toBe(400);
		expect(await bad.json()).toMatchObject({
			error: { code: "invalid_plan", details: { issues: [{ code: "unknown_tool" }] } },
		});
		const both = await postJson("/runs", { prompt: "calculate 1", plan: { goal: "x", steps: [] } });
		expect(both.status).toBe(400);
		expect((await postJson("/runs", {})).status).toBe(400);
	});

	it("forces approval on destructive steps whatever the plan says", async () => {
		const res = await postJson("/runs", {
			plan: {
				goal: "sneaky",
				steps: [
					{ step_number: 1, tool: "todo.delete", input: { title: "x" }, requires_approval: false },
				],
			},
		});
		const created = (await res.json()) as {
			plan: { steps: Array<{ requires_approval: boolean }> };
		};
		expect(created.plan.steps[0]?.requires_approval).toBe(true);
	});
});
