import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { archiveLongAgo, clientFor, postJson, settle, stubFor } from "./fixtures/runs";

describe("Idempotency-Key on POST /runs", () => {
	it("returns the original run with 200 for the same key and body", async () => {
		const body = { prompt: "add a todo to only once" };
		const first = await postJson("/runs", body, { "Idempotency-Key": "key-1" });
		expect(first.status).toBe(201);
		const original = (await first.json()) as Record<string, unknown>;
		const again = await postJson("/runs", body, { "Idempotency-Key": "key-1" });
		expect(again.status).toBe(200);
		const replay = (await again.json()) as Record<string, unknown>;
		expect(replay.run_id).toBe(original.run_id);
		expect(Object.keys(replay).sort()).toEqual(Object.keys(original).sort());
		expect(replay.plan).toEqual(original.plan);

		const run = await settle(String(original.run_id));
		const list = await postJson("/runs", { prompt: "show my todos" });
		const listed = await settle(((await list.json()) as { run_id: string }).run_id);
		const titles = (listed.result as { todos: Array<{ title: string }> }).todos.map(
			(todo) => todo.title,
		);
		expect(titles.filter((title) => title === "only once")).toHaveLength(1);
		expect(run.status).toBe("completed");
	});

	it("answers 409 for the same key with a different body", async () => {
		expect(
			(await postJson("/runs", { prompt: "calculate 1" }, { "Idempotency-Key": "key-2" })).status,
		).toBe(201);
		const conflict = await postJson(
			"/runs",
			{ prompt: "calculate 2" },
			{ "Idempotency-Key": "key-2" },
		);
		expect(conflict.status).toBe(409);
		expect(await conflict.json()).toMatchObject({ error: { code: "idempotency_conflict" } });
	});

	it("creates separate runs for separate keys, and without a key", async () => {
		const ids = new Set<string>();
		const headerSets: Record<string, string>[] = [
			{ "Idempotency-Key": "key-3" },
			{ "Idempotency-Key": "key-4" },
			{},
			{},
		];
		for (const headers of headerSets) {
			const res = await postJson("/runs", { prompt: "calculate 3" }, headers);
			expect(res.status).toBe(201);
			ids.add(((await res.json()) as { run_id: string }).run_id);
		}
		expect(ids.size).toBe(4);
	});

	it("rejects a malformed key with 400", async () => {
		const res = await postJson(
			"/runs",
			{ prompt: "calculate 1" },
			{ "Idempotency-Key": "x".repeat(300) },
		);
		expect(res.status).toBe(400);
	});

	it("answers concurrent duplicates with one run", async () => {
		const responses = await Promise.all(
			Array.from({ length: 5 }, () =>
				postJson("/runs", { prompt: "calculate 4" }, { "Idempotency-Key": "key-5" }),
			),
		);
		const bodies = (await Promise.all(responses.map((res) => res.json()))) as Array<{
			run_id: string;
		}>;
		expect(new Set(bodies.map((body) => body.run_id)).size).toBe(1);
		expect(responses.map((res) => res.status).sort()).toEqual([200, 200, 200, 200, 201]);
	});

	it("keeps the key its run's after retention purges the run from its object", async () => {
		const body = { prompt: "calculate 6*7" };
		const first = await postJson("/runs", body, { "Idempotency-Key": "key-6" });
		const original = (await first.json()) as { run_id: string; plan: unknown };
		await settle(original.run_id);
		await runInDurableObject(stubFor(original.run_id), (_, state) => {
			archiveLongAgo(state);
		});
		expect(await runDurableObjectAlarm(stubFor(original.run_id))).toBe(true);
		expect(await clientFor(original.run_id).view("default")).toBeNull();

		// The D1 archive answers the repeat; no second run is created under the same id.
		const again = await postJson("/runs", body, { "Idempotency-Key": "key-6" });
		expect(again.status).toBe(200);
		expect(await again.json()).toMatchObject({
			run_id: original.run_id,
			status: "completed",
			plan: original.plan,
		});
		expect(await clientFor(original.run_id).view("default")).toBeNull();
		const other = await postJson(
			"/runs",
			{ prompt: "calculate 1" },
			{ "Idempotency-Key": "key-6" },
		);
		expect(other.status).toBe(409);
	});
});
