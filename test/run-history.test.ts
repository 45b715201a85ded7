import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { foldEvents } from "../src/engine/run/reducer";
import { toRunView } from "../src/engine/run/state";
import {
	api,
	archiveLongAgo,
	clientFor,
	eventsOf,
	postJson,
	settle,
	stubFor,
} from "./fixtures/runs";

async function finishedRun(prompt: string): Promise<string> {
	const res = await postJson("/runs", { prompt });
	const { run_id } = (await res.json()) as { run_id: string };
	await settle(run_id);
	return run_id;
}

async function text(path: string): Promise<{ status: number; body: string }> {
	const res = await api(path);
	return { status: res.status, body: await res.text() };
}

describe("event history", () => {
	it("returns the log with seq, type, at and data, paged by after and limit", async () => {
		const runId = await finishedRun("calculate 1+1 and calculate 2+2");
		const all = (await (await api(`/runs/${runId}/events`)).json()) as {
			events: Array<{ seq: number; type: string; at: string; data: Record<string, unknown> }>;
			next_after: number | null;
		};
		expect(all.events.map((event) => event.seq)).toEqual(all.events.map((_, index) => index + 1));
		expect(all.events[0]).toMatchObject({ seq: 1, type: "run_created", data: { run_id: runId } });
		expect(all.events.at(-1)).toMatchObject({ type: "run_completed", data: { result: 4 } });
		expect(all.next_after).toBeNull();

		const page = (await (await api(`/runs/${runId}/events?after=2&limit=3`)).json()) as typeof all;
		expect(page.events.map((event) => event.seq)).toEqual([3, 4, 5]);
		expect(page.next_after).toBe(5);
		expect(page.events).toEqual(all.events.slice(2, 5));
	});

	it("rejects bad paging values and unknown runs", async () => {
		const runId = await finishedRun("calculate 3");
		for (const query of ["after=-1", "limit=0", "limit=1001", "after=x"]) {
			expect((await api(`/runs/${runId}/events?${query}`)).status).toBe(400);
		}
		expect((await api(`/runs/${"f".repeat(64)}/events`)).status).toBe(404);
	});
});

describe("time travel", () => {
	it("returns the state after every seq, folded by the live reducer", async () => {
		const runId = await finishedRun(
			"compute 2+2 then multiply the result by 10, add a todo to travel",
		);
		const events = await eventsOf(runId);
		expect(events.length).toBeGreaterThan(8);
		for (const event of events) {
			const res = await api(`/runs/${runId}?at=${event.seq}`);
			expect(res.status).toBe(200);
			const expected = toRunView(foldEvents(events.slice(0, event.seq)) ?? raise());
			expect(await res.json()).toEqual(JSON.parse(JSON.stringify(expected)));
		}
		const first = (await (await api(`/runs/${runId}?at=1`)).json()) as { status: string };
		expect(first.status).toBe("pending");
		const last = await text(`/runs/${runId}?at=${events.length}`);
		expect(last.body).toBe((await text(`/runs/${runId}`)).body);
	});

	it("rejects a seq past the end, zero, or not a number", async () => {
		const runId = await finishedRun("calculate 5");
		const count = (await eventsOf(runId)).length;
		const past = await api(`/runs/${runId}?at=${count + 1}`);
		expect(past.status).toBe(400);
		expect(await past.json()).toMatchObject({
			error: {
				code: "invalid_request",
				message: `at must be between 1 and ${count}, the run's last event`,
			},
		});
		expect((await api(`/runs/${runId}?at=0`)).status).toBe(400);
		expect((await api(`/runs/${runId}?at=two`)).status).toBe(400);
	});
});

describe("retention", () => {
	it("purges the object after the retention period and serves identical JSON from D1", async () => {
		const runId = await finishedRun("add a todo to outlive my object, then show my todos");
		const paths = [
			`/runs/${runId}`,
			`/runs/${runId}/events`,
			`/runs/${runId}/events?after=2&limit=3`,
			`/runs/${runId}?at=3`,
			`/runs/${runId}?at=999`,
			// Streams keep the resume rule: a fresh follower's snapshot, a resuming one's events.
			`/runs/${runId}/stream`,
			`/runs/${runId}/stream?after=2`,
		];
		const before = await Promise.all(paths.map(text));
		expect(before.map((response) => response.status)).toEqual([200, 200, 200, 200, 400, 200, 200]);
		expect(before[5]?.body).toMatch(/^event: snapshot\n/);
		expect(before[6]?.body).toMatch(/^event: event\ndata: .*\nid: 3\n/);

		// Before the period ends, an alarm changes nothing.
		expect(await runDurableObjectAlarm(stubFor(runId))).toBe(true);
		expect(await clientFor(runId).events("default")).not.toBeNull();

		// Age the archive past the 7-day default; the next alarm purges.
		await runInDurableObject(stubFor(runId), (_, state) => {
			archiveLongAgo(state);
		});
		expect(await runDurableObjectAlarm(stubFor(runId))).toBe(true);
		expect(await clientFor(runId).events("default")).toBeNull();
		expect(await clientFor(runId).view("default")).toBeNull();
		expect(
			await runInDurableObject(stubFor(runId), (_, state) => state.storage.getAlarm()),
		).toBeNull();

		const after = await Promise.all(paths.map(text));
		expect(after).toEqual(before);

		// Steering it is refused as for any finished run, not answered as if it never existed.
		for (const [path, method] of [
			[`/runs/${runId}/cancel`, "POST"],
			[`/runs/${runId}/retry`, "POST"],
			[`/runs/${runId}`, "DELETE"],
			[`/runs/${runId}/steps/1/approve`, "POST"],
		] as const) {
			const res = await api(path, { method });
			expect(res.status, path).toBe(409);
			expect(await res.json()).toMatchObject({
				error: { code: "invalid_state", details: { status: "completed" } },
			});
		}
	});
});

function raise(): never {
	throw new Error("no state");
}
