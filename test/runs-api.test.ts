import { listDurableObjectIds } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, postJson, settle } from "./fixtures/runs";

async function createRun(prompt: string) {
	const res = await postJson("/runs", { prompt });
	expect(res.status).toBe(201);
	return (await res.json()) as { run_id: string; status: string; plan: { steps: unknown[] } };
}

describe("runs API", () => {
	it("adds a todo and lists it, end to end", async () => {
		const prompt = "Add a todo to buy milk, then show me all my tasks";
		const res = await postJson("/runs", { prompt });
		expect(res.status).toBe(201);
		const created = (await res.json()) as Record<string, unknown>;
		expect(Object.keys(created).sort()).toEqual([
			"created_at",
			"plan",
			"prompt",
			"run_id",
			"status",
		]);
		expect(created).toMatchObject({
			status: "pending",
			prompt,
			plan: {
				planner: "rules",
				steps: [
					{ step_number: 1, tool: "todo.add", input: { title: "buy milk" }, depends_on: [] },
					{ step_number: 2, tool: "todo.list", input: { status: "all" }, depends_on: [1] },
				],
			},
		});
		const runId = String(created.run_id);
		await settle(runId);

		const run = (await (await api(`/runs/${runId}`)).json()) as Record<string, unknown>;
		expect(run).toMatchObject({
			run_id: runId,
			status: "completed",
			error: null,
			execution_log: [
				{ step_number: 1, tool: "todo.add", status: "succeeded", attempts: 1, error: null },
				{ step_number: 2, tool: "todo.list", status: "succeeded", attempts: 1, error: null },
			],
			result: { todos: [expect.objectContaining({ title: "buy milk", done: false })] },
		});
		for (const key of ["created_at", "started_at", "completed_at"]) {
			expect(Date.parse(String(run[key]))).not.toBeNaN();
		}
		const log = run.execution_log as Array<Record<string, unknown>>;
		expect(typeof log[0]?.duration_ms).toBe("number");
	});

	it("computes with a reference to an earlier result", async () => {
		const { run_id } = await createRun("compute 2+2 then multiply the result by 10");
		const run = await settle(run_id);
		expect(run.status).toBe("completed");
		expect(run.result).toBe(40);
		expect(run.execution_log[1]?.input).toEqual({
			expression: "previous * 10",
			variables: { previous: 4 },
		});
	});

	it("fails a run whose step fails for good, with the error on the run and the step", async () => {
		const { run_id } = await createRun("calculate 1/0");
		const run = await settle(run_id);
		expect(run).toMatchObject({
			status: "failed",
			result: null,
			error: { code: "math_error", message: "Division by zero", step: 1 },
			execution_log: [{ status: "failed", attempts: 1 }],
		});
	});

	it("rejects a malformed body, a missing prompt and unknown fields with 400", async () => {
		for (const body of [
			"{not json",
			"{}",
			JSON.stringify({ prompt: "" }),
			JSON.stringify({ prompt: 5 }),
			JSON.stringify({ prompt: "2+2", extra: 1 }),
		]) {
			const res = await postJson("/runs", body);
			expect(res.status).toBe(400);
			const json = (await res.json()) as { error: { code: string; message: string } };
			expect(json.error.code).toBe("invalid_request");
			expect(json.error.message).not.toBe("");
		}
	});

	it("names the failing field in the error details", async () => {
		const res = await postJson("/runs", { prompt: "x".repeat(4_001) });
		expect(res.status).toBe(400);
		expect(await res.json()).toMatchObject({
			error: { code: "invalid_request", details: { issues: [{ path: "prompt" }] } },
		});
	});

	it("accepts a prompt of exactly 4,000 characters", async () => {
		const prompt = `calculate 1${"+1".repeat(1_999)}`.slice(0, 4_000);
		const res = await postJson("/runs", { prompt });
		expect(res.status).not.toBe(400);
	});

	it("answers a prompt no planner can plan with 422", async () => {
		const res = await postJson("/runs", { prompt: "write me a sonnet about the sea" });
		expect(res.status).toBe(422);
		expect(await res.json()).toMatchObject({
			error: { code: "unplannable_prompt", details: { clause: "write me a sonnet about the sea" } },
		});
	});

	it("refuses a body over 64 KB with 413", async () => {
		const res = await postJson("/runs", { prompt: "x".repeat(70_000) });
		expect(res.status).toBe(413);
		expect(await res.json()).toMatchObject({ error: { code: "payload_too_large" } });
	});

	it("answers 404 for an issued id that holds no run", async () => {
		const res = await api(`/runs/${env.RUNS.newUniqueId().toString()}`);
		expect(res.status).toBe(404);
		expect(await res.json()).toMatchObject({ error: { code: "run_not_found" } });
	});

	it("answers 404 for forged, malformed and hostile ids without reaching any object", async () => {
		const before = (await listDurableObjectIds(env.RUNS)).length;
		// 64 hex characters, but not minted by this namespace: idFromString rejects it.
		const forged = "0123456789abcdef".repeat(4);
		for (const id of [
			forged,
			"nope",
			"0".repeat(64),
			"..%2F..%2Fetc",
			"a".repeat(10_000),
			"%00",
			"' OR 1=1 --",
		]) {
			const res = await api(`/runs/${id}`);
			expect(res.status).toBe(404);
			expect(await res.json()).toMatchObject({ error: { code: "run_not_found" } });
		}
		expect((await listDurableObjectIds(env.RUNS)).length).toBe(before);
	});

	it("answers unknown routes with 404 and wrong methods with 405, in the one error shape", async () => {
		const missing = await api("/nope");
		expect(missing.status).toBe(404);
		expect(await missing.json()).toMatchObject({ error: { code: "route_not_found" } });
		const wrong = await api("/runs", { method: "PUT" });
		expect(wrong.status).toBe(405);
		expect(wrong.headers.get("allow")).toBe("GET, POST");
		expect(await wrong.json()).toMatchObject({ error: { code: "method_not_allowed" } });
		expect((await api("/health", { method: "DELETE" })).status).toBe(405);
	});

	it("honours X-Request-Id, and issues one when absent", async () => {
		const echoed = await api("/health", { headers: { "X-Request-Id": "trace-123" } });
		expect(echoed.headers.get("x-request-id")).toBe("trace-123");
		const issued = await api("/nope");
		expect(issued.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
	});

	it("serves the tool catalogue with JSON Schemas", async () => {
		const res = await api("/tools");
		const { tools } = (await res.json()) as {
			tools: Array<{ name: string; input_schema: Record<string, unknown> }>;
		};
		expect(tools.map((tool) => tool.name)).toEqual(
			expect.arrayContaining([
				"calculator",
				"todo.add",
				"todo.list",
				"todo.get",
				"todo.complete",
				"todo.delete",
			]),
		);
		expect(tools.find((tool) => tool.name === "todo.add")?.input_schema).toMatchObject({
			type: "object",
			properties: { title: { type: "string", minLength: 1 } },
			required: ["title"],
		});
	});

	it("reports liveness with the version, and a D1 check under /health/checks", async () => {
		const res = await api("/health");
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({
			status: "ok",
			version: expect.stringMatching(/^\d+\.\d+\.\d+/),
		});
		expect(await (await api("/health/checks")).json()).toMatchObject({
			status: "ok",
			checks: { d1: { status: "ok" } },
		});
	});
});
