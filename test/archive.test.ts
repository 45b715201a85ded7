import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { EventLog } from "../src/durable/event-log";
import { archiveRuns } from "../src/worker/queue/run-archive";
import { archivedAtOf, eventsOf, followEvents, postJson, settle, stubFor } from "./fixtures/runs";

async function create(prompt: string): Promise<string> {
	const res = await postJson("/runs", { prompt });
	return ((await res.json()) as { run_id: string }).run_id;
}

describe("D1 archive", () => {
	it("writes a finished run and its steps", async () => {
		const runId = await create("calculate 6*7 and add a todo to archive me");
		const run = await settle(runId);
		const row = await env.DB.prepare("SELECT * FROM runs WHERE run_id = ?").bind(runId).first();
		expect(row).toMatchObject({
			run_id: runId,
			tenant: "default",
			status: "completed",
			planner: "rules",
			step_count: 2,
			result: JSON.stringify(run.result),
			error_code: null,
			created_at: run.created_at,
			completed_at: run.completed_at,
		});
		const { results } = await env.DB.prepare(
			"SELECT step_number, tool, status, attempts, output FROM steps WHERE run_id = ? ORDER BY step_number",
		)
			.bind(runId)
			.all();
		expect(results).toEqual([
			{ step_number: 1, tool: "calculator", status: "succeeded", attempts: 1, output: "42" },
			{
				step_number: 2,
				tool: "todo.add",
				status: "succeeded",
				attempts: 1,
				output: expect.stringContaining('"title":"archive me"'),
			},
		]);
	});

	it("archives failures with their error", async () => {
		const runId = await create("calculate 2 ^ 9999");
		await settle(runId);
		const row = await env.DB.prepare(
			"SELECT status, error_code, error_message FROM runs WHERE run_id = ?",
		)
			.bind(runId)
			.first();
		expect(row).toEqual({
			status: "failed",
			error_code: "math_error",
			error_message: "Result is not a finite number",
		});
	});

	it("asks again until D1 takes the write and the consumer confirms it (an outbox)", async () => {
		await env.DB.exec("ALTER TABLE steps RENAME TO steps_offline");
		try {
			const runId = await create("calculate 1+1");
			await followEvents(runId);
			await runInDurableObject(stubFor(runId), (instance) => instance.alarm());
			const request = [{ run_id: runId, tenant: "default" }];
			await expect(archiveRuns(env, request)).rejects.toThrow();
			const missing = await env.DB.prepare("SELECT count(*) AS n FROM runs WHERE run_id = ?")
				.bind(runId)
				.first();
			expect(missing).toEqual({ n: 0 });
			// Unconfirmed, the run keeps an alarm to ask again, and nothing says it is archived.
			const pending = await runInDurableObject(stubFor(runId), async (_, state) => ({
				alarm: await state.storage.getAlarm(),
				archivedAt: archivedAtOf(state),
			}));
			expect(pending.alarm).toBeGreaterThan(Date.now());
			expect(pending.archivedAt).toBeUndefined();

			await env.DB.exec("ALTER TABLE steps_offline RENAME TO steps");
			await archiveRuns(env, request);
			const row = await env.DB.prepare("SELECT status FROM runs WHERE run_id = ?")
				.bind(runId)
				.first();
			expect(row).toEqual({ status: "completed" });
			// What remains scheduled is the end of the retention period, 7 days out.
			const purgeAt = await runInDurableObject(stubFor(runId), (_, state) =>
				state.storage.getAlarm(),
			);
			expect(purgeAt).toBeGreaterThan(Date.now() + 6.9 * 86_400_000);
		} finally {
			await env.DB.exec("ALTER TABLE steps_offline RENAME TO steps").catch(() => undefined);
		}
	});

	it("writes a whole batch of finished runs together, each confirmed", async () => {
		const ids = await Promise.all(["calculate 1+1", "calculate 2+2", "calculate 3+3"].map(create));
		for (const runId of ids) {
			await followEvents(runId);
			await runInDurableObject(stubFor(runId), (instance) => instance.alarm());
		}
		await archiveRuns(
			env,
			ids.map((run_id) => ({ run_id, tenant: "default" })),
		);
		for (const runId of ids) {
			const archived = await runInDurableObject(stubFor(runId), (_, state) => archivedAtOf(state));
			expect(archived).toEqual(expect.any(String));
			// Steps and events of the batch's runs share statements; each run's rows are its own.
			const rows = await env.DB.prepare(
				"SELECT (SELECT count(*) FROM steps WHERE run_id = ?1) AS steps, (SELECT count(*) FROM run_events WHERE run_id = ?1) AS events",
			)
				.bind(runId)
				.first<{ steps: number; events: number }>();
			const events = await eventsOf(runId);
			expect(rows).toEqual({ steps: 1, events: events.length });
		}
	});

	it("adopts the mark of a run archived before it moved into the log, and archives it once", async () => {
		const runId = await (await postJson("/runs", { prompt: "calculate 7*6" }))
			.json()
			.then((body) => (body as { run_id: string }).run_id);
		await settle(runId);
		const mark = await runInDurableObject(stubFor(runId), (_, state) => archivedAtOf(state));
		// As an object archived by the earlier code keeps it: under a KV key, with no row.
		await runInDurableObject(stubFor(runId), (_, state) => {
			new EventLog(state.storage.sql).clearArchived();
			state.storage.kv.put("archived_at", mark);
		});
		await abortAllDurableObjects();
		const after = await runInDurableObject(stubFor(runId), async (instance, state) => {
			await instance.alarm();
			return {
				mark: archivedAtOf(state),
				legacy: state.storage.kv.get("archived_at"),
				alarm: await state.storage.getAlarm(),
			};
		});
		expect(after.mark).toBe(mark);
		expect(after.legacy).toBeUndefined();
		// Still waiting out its retention, not asking for a second archive in a minute.
		expect(after.alarm).toBeGreaterThan(Date.now() + 6 * 86_400_000);
	});

	it("writes a consumer batch larger than one D1 batch, every run whole", async () => {
		const ids = await Promise.all(
			Array.from({ length: 30 }, (_, index) => create(`calculate ${index}+1`)),
		);
		for (const runId of ids) await followEvents(runId);
		await archiveRuns(
			env,
			ids.map((run_id) => ({ run_id, tenant: "default" })),
		);
		const placeholders = ids.map(() => "?").join(", ");
		const counts = await env.DB.prepare(
			`SELECT (SELECT count(*) FROM runs WHERE run_id IN (${placeholders}) AND archived_at IS NOT NULL) AS runs, (SELECT count(*) FROM steps WHERE run_id IN (${placeholders})) AS steps`,
		)
			.bind(...ids, ...ids)
			.first();
		expect(counts).toEqual({ runs: 30, steps: 30 });
	});
});
