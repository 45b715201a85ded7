import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { todoPortFor } from "../src/durable/todo-port";
import { resolveTodo } from "../src/engine/tools/todo/match";
import type { Todo } from "../src/engine/tools/todo/port";
import { api, postJson, settle } from "./fixtures/runs";

function storeFor(tenant: string) {
	return todoPortFor(env.TODOS, tenant);
}

function todo(id: string, title: string): Todo {
	return { id, title, done: false, created_at: "2026-01-01T00:00:00.000Z", completed_at: null };
}

describe("todo store", () => {
	it("adds, lists, gets, completes and deletes", async () => {
		const store = storeFor("flows");
		const added = await store.add("buy milk", "k1");
		expect(added).toMatchObject({
			ok: true,
			value: { title: "buy milk", done: false, completed_at: null },
		});
		await store.add("call mom", "k2");
		expect(await store.get({ title: "Buy Milk" })).toMatchObject({
			ok: true,
			value: { title: "buy milk" },
		});

		const completed = await store.complete({ title: "call mom" }, "k3");
		expect(completed).toMatchObject({
			ok: true,
			value: { done: true, completed_at: expect.any(String) },
		});
		const titles = async (status: "all" | "open" | "done") => {
			const listed = await store.list(status, 100);
			return listed.ok ? listed.value.todos.map((item) => item.title) : [];
		};
		expect(await titles("all")).toEqual(["buy milk", "call mom"]);
		expect(await titles("open")).toEqual(["buy milk"]);
		expect(await titles("done")).toEqual(["call mom"]);

		if (!added.ok) throw new Error("add failed");
		expect(await store.delete({ id: added.value.id }, "k4")).toMatchObject({
			ok: true,
			value: { id: added.value.id },
		});
		expect(await titles("all")).toEqual(["call mom"]);
	});

	it("applies a repeated idempotency key once and returns the first outcome", async () => {
		const store = storeFor("idempotent");
		const first = await store.add("water plants", "step-key");
		const second = await store.add("water plants", "step-key");
		expect(second).toEqual(first);
		const listed = await store.list("all", 100);
		expect(listed.ok && listed.value.todos).toHaveLength(1);
		await store.delete({ title: "water plants" }, "delete-key");
		expect(await store.delete({ title: "water plants" }, "delete-key")).toMatchObject({ ok: true });
	});

	it("does not record failures, so a retry after a fix can succeed", async () => {
		const store = storeFor("retry-after-fix");
		expect(await store.complete({ title: "later" }, "k")).toMatchObject({
			ok: false,
			code: "todo_not_found",
		});
		await store.add("later", "add");
		expect(await store.complete({ title: "later" }, "k")).toMatchObject({
			ok: true,
			value: { done: true },
		});
	});

	it("lists the most recent todos up to the limit, oldest first, with the total", async () => {
		const store = storeFor("many");
		for (let index = 1; index <= 5; index += 1) await store.add(`task ${index}`, `k${index}`);
		const listed = await store.list("all", 3);
		expect(listed.ok && listed.value.total).toBe(5);
		expect(listed.ok && listed.value.todos.map((item) => item.title)).toEqual([
			"task 3",
			"task 4",
			"task 5",
		]);
	});

	it("keeps tenants apart", async () => {
		await storeFor("tenant-a").add("secret plan", "k");
		const listed = await storeFor("tenant-b").list("all", 100);
		expect(listed).toEqual({ ok: true, value: { todos: [], total: 0 } });
	});

	it("persists across runs", async () => {
		const first = await postJson("/runs", { prompt: "add a todo to persist me" });
		await settle(((await first.json()) as { run_id: string }).run_id);
		const second = await postJson("/runs", { prompt: "show my todos" });
		const run = await settle(((await second.json()) as { run_id: string }).run_id);
		const titles = (run.result as { todos: Todo[] }).todos.map((item) => item.title);
		expect(titles).toContain("persist me");
		expect((await api("/health")).status).toBe(200);
	});
});

describe("todo matching", () => {
	const todos = [
		todo("1", "Buy milk"),
		todo("2", "buy milk powder"),
		todo("3", "Call mom"),
		todo("4", "call mom"),
	];

	it("prefers an exact title, ignoring case and spacing", () => {
		expect(resolveTodo(todos, { title: "  BUY   milk " })).toEqual({ ok: true, value: todos[0] });
	});

	it("falls back to a unique partial match", () => {
		expect(resolveTodo(todos, { title: "powder" })).toEqual({ ok: true, value: todos[1] });
	});

	it("names every candidate when a title is ambiguous", () => {
		expect(resolveTodo(todos, { title: "call mom" })).toEqual({
			ok: false,
			code: "todo_ambiguous",
			message: "2 todos match the title 'call mom': 'Call mom' (3), 'call mom' (4); name one by id",
		});
	});

	it("says when nothing matches", () => {
		expect(resolveTodo(todos, { title: "fly" })).toEqual({
			ok: false,
			code: "todo_not_found",
			message: "No todo matches the title 'fly'",
		});
		expect(resolveTodo(todos, { id: "9" })).toMatchObject({ ok: false, code: "todo_not_found" });
	});
});
