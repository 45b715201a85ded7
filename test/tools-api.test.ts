import { describe, expect, it } from "vitest";
import { api, postJson, settle } from "./fixtures/runs";

const test = (name: string, input: unknown) => postJson(`/tools/${name}/test`, { input });

describe("tool dry runs", () => {
	it("runs a read-only tool for real", async () => {
		const res = await test("calculator", { expression: "6*7" });
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({
			tool: "calculator",
			valid: true,
			executed: true,
			result: { ok: true, value: 42 },
		});
		const failing = (await (await test("calculator", { expression: "1/0" })).json()) as {
			result: unknown;
		};
		expect(failing.result).toEqual({
			ok: false,
			error: { code: "math_error", message: "Division by zero", retryable: false },
		});
	});

	it("only describes what a mutating tool would do, changing nothing", async () => {
		const res = await test("todo.add", { title: "dry run only" });
		expect(await res.json()).toEqual({
			tool: "todo.add",
			valid: true,
			executed: false,
			would: "Add the todo 'dry run only'",
			requires_approval: false,
			would_fail: null,
		});
		const deletion = (await (await test("todo.delete", { title: "x" })).json()) as {
			would: string;
			requires_approval: boolean;
		};
		expect(deletion).toMatchObject({
			would: "Delete the todo titled 'x', after a person approves",
			requires_approval: true,
		});
		const listed = await settle(
			((await (await postJson("/runs", { prompt: "show my todos" })).json()) as { run_id: string })
				.run_id,
		);
		expect(
			(listed.result as { todos: Array<{ title: string }> }).todos.map((todo) => todo.title),
		).not.toContain("dry run only");
	});

	it("does not claim to have waited: a wait is described, not performed", async () => {
		expect(await (await test("wait", { ms: 20_000 })).json()).toEqual({
			tool: "wait",
			valid: true,
			executed: false,
			would: "Wait 20000 ms, durably, on the run's alarm",
			requires_approval: false,
			would_fail: null,
		});
	});

	it("says when http.request would be refused by the allowlist", async () => {
		const res = await test("http.request", { url: "https://example.com/" });
		expect(await res.json()).toMatchObject({
			executed: false,
			would: "GET https://example.com/",
			would_fail: { code: "host_not_allowed", message: "example.com is not on the allowlist" },
		});
	});

	it("reports an injected delivery fault as the dry run's result, not a server error", async () => {
		const res = await test("chaos.queued", { behaviours: [{ fault: "crash_consumer" }] });
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({
			executed: true,
			result: { ok: false, error: { code: "delivery_fault" } },
		});
	});

	it("rejects invalid input with the field, and unknown tools with 404", async () => {
		const bad = await test("calculator", { expression: 5 });
		expect(bad.status).toBe(400);
		expect(await bad.json()).toMatchObject({
			error: { code: "invalid_request", details: { issues: [{ path: "expression" }] } },
		});
		const unknown = await test("shell.exec", {});
		expect(unknown.status).toBe(404);
		expect(await unknown.json()).toMatchObject({ error: { code: "tool_not_found" } });
		expect((await api("/tools/calculator/test")).status).toBe(405);
	});
});
