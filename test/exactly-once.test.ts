import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Bulkhead } from "../src/durable/bulkhead";
import { EventLog } from "../src/durable/event-log";
import { RunArchive } from "../src/durable/run-archive";
import { RunDriver } from "../src/durable/run-driver";
import { archiveRuns } from "../src/worker/queue/run-archive";
import { step } from "./fixtures/plans";
import {
	api,
	archivedAtOf,
	archiveLongAgo,
	eventsOf,
	followEvents,
	settle,
	startPlan,
	stubFor,
	todoTitles,
} from "./fixtures/runs";

afterEach(() => {
	vi.restoreAllMocks();
});

async function alarmAt(runId: string): Promise<number | null> {
	return runInDurableObject(stubFor(runId), (_, state) => state.storage.getAlarm());
}

describe("retry during the archive", () => {
	it("keeps the retry: the copy sent before it, arriving late, does not overwrite it", async () => {
		const runId = await startPlan(
			{
				goal: "fail, then retry while archiving",
				steps: [step(1, "chaos", { behaviours: [{ fail: "fatal" }, {}], output: "retried" })],
			},
			{ policy: { max_attempts: 1 } },
		);
		await followEvents(runId);
		const stub = stubFor(runId);
		// The failed run's log goes to the queue; a retry lands before the consumer writes it.
		await runInDurableObject(stub, (instance) => instance.alarm());
		const failed = await eventsOf(runId);
		expect((await stub.retry("default")).ok).toBe(true);
		const after = await runInDurableObject(stub, async (_, state) => ({
			archivedAt: archivedAtOf(state),
			alarm: await state.storage.getAlarm(),
		}));
		expect(after.archivedAt).toBeUndefined();
		expect(after.alarm ?? Number.POSITIVE_INFINITY).toBeLessThan(Date.now() + 60_000);

		const run = await settle(runId);
		expect(run).toMatchObject({ status: "completed", result: "retried" });
		await archiveRuns(env, [{ run_id: runId, tenant: "default", events: failed }]);
		const row = await env.DB.prepare("SELECT status, seq FROM runs WHERE run_id = ?")
			.bind(runId)
			.first();
		expect(row).toEqual({ status: "completed", seq: (await eventsOf(runId)).length });
	});
});

describe("retry while the archive waits on the queue or D1", () => {
	function failedThenRetried(): Promise<string> {
		return startPlan(
			{
				goal: "fail, then retry mid-archive",
				steps: [step(1, "chaos", { behaviours: [{ fail: "fatal" }, {}], output: "retried" })],
			},
			{ policy: { max_attempts: 1 } },
		);
	}

	/** Holds the run archive's `method` (its queue send, its D1 check) until `open` is called. */
	function holdArchive(method: "send" | "heldInD1") {
		let open = () => {};
		const opened = new Promise<void>((resolve) => {
			open = resolve;
		});
		const prototype = RunArchive.prototype as unknown as Record<
			typeof method,
			(state: unknown) => Promise<unknown>
		>;
		const original = prototype[method];
		const held = vi.spyOn(prototype, method).mockImplementation(async function (
			this: unknown,
			state,
		) {
			await opened;
			return original.call(this, state);
		});
		return { open, reached: () => vi.waitUntil(() => held.mock.calls.length > 0) };
	}

	it("keeps a retry that lands while the archive request is with the queue", async () => {
		const runId = await failedThenRetried();
		await followEvents(runId);
		const stub = stubFor(runId);
		// The alarm that failed the run has sent its request; undo that, to send it again, held.
		await vi.waitUntil(() => runInDurableObject(stub, (_, state) => archivedAtOf(state)));
		const queue = holdArchive("send");
		const alarm = runInDurableObject(stub, (instance, state) => {
			new EventLog(state.storage.sql).clearArchived();
			return instance.alarm();
		});
		await queue.reached();
		expect((await stub.retry("default")).ok).toBe(true);
		queue.open();
		await alarm;
		const after = await runInDurableObject(stub, async (_, state) => ({
			archivedAt: archivedAtOf(state),
			alarm: await state.storage.getAlarm(),
		}));
		expect(after.archivedAt).toBeUndefined();
		expect(after.alarm ?? Number.POSITIVE_INFINITY).toBeLessThan(Date.now() + 60_000);
		expect(await settle(runId)).toMatchObject({ status: "completed", result: "retried" });
	});

	it("keeps a retry that lands while the purge checks D1", async () => {
		const runId = await failedThenRetried();
		await settle(runId);
		const d1 = holdArchive("heldInD1");
		const stub = stubFor(runId);
		const alarm = runInDurableObject(stub, (instance, state) => {
			archiveLongAgo(state);
			return instance.alarm();
		});
		await d1.reached();
		expect((await stub.retry("default")).ok).toBe(true);
		d1.open();
		await alarm;
		expect(await stub.view("default")).toMatchObject({ status: expect.any(String) });
		expect(await settle(runId)).toMatchObject({ status: "completed", result: "retried" });
	});
});

describe("effect idempotency keys", () => {
	it("redoes an effect that compensation undid when the run is retried", async () => {
		const title = "redo me after the undo";
		const runId = await startPlan(
			{
				goal: "add, then fail once",
				steps: [
					step(1, "todo.add", { title }),
					step(2, "chaos", { behaviours: [{ fail: "fatal" }, {}] }, [1]),
				],
			},
			{ compensate_on_failure: true, policy: { max_attempts: 1 } },
		);
		const failed = await settle(runId);
		expect(failed.execution_log[0]?.status).toBe("compensated");
		expect(await todoTitles()).not.toContain(title);

		expect((await api(`/runs/${runId}/retry`, { method: "POST" })).status).toBe(200);
		const run = await settle(runId);
		expect(run.status).toBe("completed");
		expect((await todoTitles()).filter((candidate) => candidate === title)).toHaveLength(1);
		const added = run.execution_log[0]?.output as { id: string };
		const original = failed.execution_log[0]?.output as { id: string };
		expect(added.id).not.toBe(original.id);
	});
});

describe("unreachable gates", () => {
	it("fail the attempt retryably instead of stopping the run", async () => {
		// A queued step asks its bulkhead objects first, and their answer is never cached.
		const acquire = vi
			.spyOn(Bulkhead.prototype, "acquire")
			.mockRejectedValueOnce(new Error("bulkhead object unreachable"));
		const runId = await startPlan({
			goal: "survive a broken bulkhead",
			steps: [step(1, "chaos.queued", { behaviours: [{}], output: "made it" })],
		});
		const run = await settle(runId);
		expect(acquire).toHaveBeenCalled();
		expect(run).toMatchObject({ status: "completed", result: "made it" });
		const retried = (await eventsOf(runId)).find(
			(event) => event.data.type === "step_retry_scheduled",
		);
		expect(retried?.data).toMatchObject({ error: { code: "gate_unavailable" } });
	});

	it("leave a live run holding an alarm when its alarm handler fails", async () => {
		const runId = await startPlan({
			goal: "outlive a failing alarm",
			steps: [step(1, "wait", { ms: 60_000 })],
		});
		await followEvents(runId, (event) => event.data.type === "step_sleeping");
		vi.spyOn(RunDriver.prototype, "drive").mockRejectedValue(new Error("D1 binding gone"));
		await runInDurableObject(stubFor(runId), (instance, state) => {
			state.storage.deleteAlarm();
			return instance.alarm();
		});
		const view = await api(`/runs/${runId}`);
		expect(((await view.json()) as { status: string }).status).toBe("running");
		expect(await alarmAt(runId)).toBeGreaterThan(Date.now());
	});
});
