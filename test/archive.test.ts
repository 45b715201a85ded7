import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { EventLog } from "../src/durable/event-log";
import { RunArchive } from "../src/durable/run-archive";
import { archiveRuns } from "../src/worker/queue/run-archive";
import {
	archivedAtOf,
	archiveLongAgo,
	clientFor,
	eventsOf,
	followEvents,
	postJson,
	settle,
	stubFor,
} from "./fixtures/runs";

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

	it("sends its log again before the purge when D1 lacks its copy, and purges only after", async () => {
		const runId = await create("calculate 1+1");
		await settle(runId);
		// As if the queue had given up on the request: the copy never reached D1.
		await env.DB.prepare("DELETE FROM runs WHERE run_id = ?").bind(runId).run();
		const kept = await runInDurableObject(stubFor(runId), async (instance, state) => {
			archiveLongAgo(state);
			await instance.alarm();
			return { alarm: await state.storage.getAlarm(), events: (await eventsOf(runId)).length };
		});
		expect(kept.events).toBeGreaterThan(0);
		expect(kept.alarm).toBeLessThanOrEqual(Date.now() + 60_000);

		// The log went out again through the real queue, and its consumer wrote it.
		await vi.waitUntil(
			async () =>
				(await env.DB.prepare("SELECT seq FROM runs WHERE run_id = ?").bind(runId).first()) !==
				null,
			{ timeout: 10_000, interval: 100 },
		);
		const row = await env.DB.prepare("SELECT status, seq FROM runs WHERE run_id = ?")
			.bind(runId)
			.first();
		expect(row).toEqual({ status: "completed", seq: kept.events });
		await runInDurableObject(stubFor(runId), (instance) => instance.alarm());
		expect(await clientFor(runId).events("default")).toBeNull();
	});

	it("reaches D1 through the real queue with its whole log in the request", async () => {
		const runId = await create("calculate 5*5 and add a todo to travel by queue");
		await followEvents(runId);
		await runInDurableObject(stubFor(runId), (instance) => instance.alarm());
		const events = await eventsOf(runId);
		// No test calls the consumer here: the queue delivers the object's own request.
		await vi.waitUntil(
			async () =>
				(await env.DB.prepare("SELECT seq FROM runs WHERE run_id = ? AND archived_at IS NOT NULL")
					.bind(runId)
					.first()) !== null,
			{ timeout: 10_000, interval: 100 },
		);
		const stored = await env.DB.prepare(
			"SELECT seq, data FROM run_events WHERE run_id = ? ORDER BY seq",
		)
			.bind(runId)
			.all<{ seq: number; data: string }>();
		expect(stored.results.map(({ seq, data }) => ({ seq, data: JSON.parse(data) }))).toEqual(
			events.map(({ seq, data }) => ({ seq, data })),
		);
	});

	it("neither purges nor sends again while D1 cannot say whether it holds the run", async () => {
		const runId = await create("calculate 3+3");
		await settle(runId);
		const send = vi.spyOn(RunArchive.prototype as unknown as { send(): Promise<void> }, "send");
		await env.DB.exec("ALTER TABLE runs RENAME TO runs_offline");
		try {
			const kept = await runInDurableObject(stubFor(runId), async (instance, state) => {
				archiveLongAgo(state);
				await instance.alarm();
				return { alarm: await state.storage.getAlarm() };
			});
			expect(send).not.toHaveBeenCalled();
			expect(kept.alarm).toBeLessThanOrEqual(Date.now() + 60_000);
			expect(await clientFor(runId).events("default")).not.toBeNull();
		} finally {
			await env.DB.exec("ALTER TABLE runs_offline RENAME TO runs");
			send.mockRestore();
		}
	});

	it("keeps each run's newest copy in D1, whatever order its copies arrive in", async () => {
		const runId = await create("calculate 4*4");
		const run = await settle(runId);
		const events = await eventsOf(runId);
		const live = events.slice(0, 2);
		const final = {
			status: "completed",
			seq: events.length,
			result: JSON.stringify(run.result),
			archived: 1,
		};
		const row = () =>
			env.DB.prepare(
				"SELECT status, seq, result, archived_at IS NOT NULL AS archived FROM runs WHERE run_id = ?",
			)
				.bind(runId)
				.first();
		// The live copy, late; then a redelivered final copy in one batch with the live one.
		await archiveRuns(env, [{ run_id: runId, tenant: "default", events: live }]);
		expect(await row()).toEqual(final);
		// With no copy in D1 yet, the batch alone must tell which of its two is newer, either way round.
		for (const batch of [
			[events, live],
			[live, events],
		]) {
			await env.DB.prepare("DELETE FROM runs WHERE run_id = ?").bind(runId).run();
			await archiveRuns(
				env,
				batch.map((log) => ({ run_id: runId, tenant: "default", events: log })),
			);
			expect(await row()).toEqual(final);
		}
		// A row archived before runs had a seq is replaced by any copy.
		await env.DB.prepare("UPDATE runs SET seq = NULL, status = 'running' WHERE run_id = ?")
			.bind(runId)
			.run();
		await archiveRuns(env, [{ run_id: runId, tenant: "default", events }]);
		expect(await row()).toEqual(final);
	});

	it("writes a whole batch of finished runs together, read from their objects when the requests name them only", async () => {
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
