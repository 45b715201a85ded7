import { abortAllDurableObjects, env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { COMPRESS_FROM, EventLog } from "../src/durable/event-log";
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

describe("the event log's storage", () => {
	it("deflates large payloads, keeps small ones as text, and reads both back whole", async () => {
		const goal = `a goal that makes run_created large: ${"milk and eggs ".repeat(200)}`;
		const runId = await startPlan({
			goal,
			steps: [step(1, "calculator", { expression: "2+3" })],
		});
		await settle(runId);
		const kinds = await runInDurableObject(stubFor(runId), (_instance, state) =>
			state.storage.sql
				.exec<{ type: string; kind: string; bytes: number }>(
					"SELECT type, typeof(data) AS kind, length(data) AS bytes FROM events ORDER BY seq",
				)
				.toArray(),
		);
		const created = kinds.find((row) => row.type === "run_created");
		expect(created?.kind).toBe("blob");
		expect(created?.bytes).toBeLessThan(goal.length / 4);
		expect(
			kinds.filter((row) => row.type !== "run_created").every((row) => row.kind === "text"),
		).toBe(true);
		expect(goal.length).toBeGreaterThan(COMPRESS_FROM);
		// Read back, by the object after an eviction, by the API, and by the archive.
		await abortAllDurableObjects();
		const events = await eventsOf(runId);
		expect(events[0]?.data).toMatchObject({ type: "run_created", plan: { goal } });
		const view = (await (await api(`/runs/${runId}`)).json()) as {
			plan: { goal: string };
			status: string;
		};
		expect(view).toMatchObject({ status: "completed", plan: { goal } });
	});

	it("reads payloads deflated before the log used workerd's zlib (fflate, raw DEFLATE)", async () => {
		// {"type":"step_succeeded","step":1,"output":"milk and eggs " x 100}, by fflate at level 1.
		const stored = Uint8Array.from(
			atob(
				"q1YqqSxIVbJSKi5JLYgvLk1OTk1NSU1R0gELKFkZ6ijll5YUlJYAleRm5mQrJOalKKSmpxcrjPJGeaO8Ud4oj9Y8pVoA",
			),
			(char) => char.charCodeAt(0),
		);
		const stub = env.RUNS.get(env.RUNS.newUniqueId());
		const read = await runInDurableObject(stub, (_instance, state) => {
			const log = new EventLog(state.storage.sql);
			// Any first append creates the table the old row goes into.
			log.append({ type: "run_cancel_requested", compensate: false, reason: null }, "2026-01-01");
			state.storage.sql.exec(
				"INSERT INTO events (type, at, data) VALUES ('step_succeeded', '2026-01-01', ?)",
				stored.buffer,
			);
			return [...log.read()].map((event) => event.data);
		});
		expect(read[1]).toEqual({
			type: "step_succeeded",
			step: 1,
			output: "milk and eggs ".repeat(100),
		});
	});

	it("keeps the archive mark below the events, out of every read", async () => {
		const runId = await startPlan({
			goal: "mark",
			steps: [step(1, "calculator", { expression: "1+1" })],
		});
		await settle(runId);
		const { mark, seqs } = await runInDurableObject(stubFor(runId), (_instance, state) => {
			const log = new EventLog(state.storage.sql);
			return { mark: log.archivedAt(), seqs: [...log.read()].map((event) => event.seq) };
		});
		expect(mark).toEqual(expect.any(String));
		expect(seqs[0]).toBe(1);
		const events = await eventsOf(runId);
		expect(events.map((event) => event.seq)).toEqual(seqs);
		expect(events.map((event) => event.data.type)).not.toContain("archived");
	});

	it("serves a live run's events from memory exactly as stored, and an archived one's from storage", async () => {
		const goal = `a goal long enough to be deflated: ${"milk and eggs ".repeat(200)}`;
		const runId = await startPlan({ goal, steps: [step(1, "calculator", { expression: "4*4" })] });
		await followEvents(runId);
		const live = await eventsOf(runId);
		const heldPage = await clientFor(runId).events("default", 2, 3);
		expect(heldPage?.map((event) => event.seq)).toEqual([3, 4, 5]);
		await settle(runId);
		const stored = await runInDurableObject(stubFor(runId), (_instance, state) => [
			...new EventLog(state.storage.sql).read(),
		]);
		expect(stored).toEqual(live);
		expect(await eventsOf(runId)).toEqual(live);
		const page = await clientFor(runId).events("default", 2, 3);
		expect(page?.map((event) => event.seq)).toEqual([3, 4, 5]);
	});
});
