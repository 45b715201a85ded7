import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { step } from "./fixtures/plans";
import { api, eventsOf, followEvents, settle, startPlan, stubFor } from "./fixtures/runs";

interface Message {
	type: "snapshot" | "event";
	seq: number;
	run?: { status: string };
	event?: { seq: number; type: string };
}

/** Opens a WebSocket through the Worker and records every message until `stop` or the close. */
async function follow(
	runId: string,
	query = "",
	stop: (message: Message) => boolean = () => false,
) {
	const res = await api(`/runs/${runId}/ws${query}`, { headers: { Upgrade: "websocket" } });
	expect(res.status).toBe(101);
	const socket = res.webSocket;
	if (!socket) throw new Error("no socket");
	socket.accept();
	const messages: Message[] = [];
	let left = false;
	const closed = new Promise<{ code: number; messages: Message[] }>((resolve) => {
		socket.addEventListener("message", (event) => {
			if (left) return;
			const message = JSON.parse(String(event.data)) as Message;
			messages.push(message);
			if (stop(message)) {
				// Whatever arrives after the client decided to leave counts as lost.
				left = true;
				socket.close(1000, "client leaves");
				resolve({ code: -1, messages });
			}
		});
		socket.addEventListener("close", (event) => resolve({ code: event.code, messages }));
	});
	return closed;
}

/** Three short waits in a row: slow enough to disconnect in the middle. */
const waits = {
	goal: "three waits",
	steps: [
		step(1, "wait", { ms: 150 }),
		step(2, "wait", { ms: 150 }, [1]),
		step(3, "wait", { ms: 150 }, [2]),
	],
};

describe("WebSocket live updates", () => {
	it("sends a snapshot, then every event in order, and closes with 1000 at the end", async () => {
		const runId = await startPlan(waits);
		const { code, messages } = await follow(runId);
		expect(code).toBe(1000);
		const [snapshot, ...events] = messages;
		expect(snapshot?.type).toBe("snapshot");
		const seqs = events.map((message) => message.seq);
		expect(seqs).toEqual(seqs.map((_, index) => (snapshot?.seq ?? 0) + index + 1));
		expect(events.at(-1)?.event?.type).toBe("run_completed");
	});

	it("loses nothing across a reconnect with ?after", async () => {
		const runId = await startPlan(waits);
		const first = await follow(runId, "", (message) => message.event?.type === "step_succeeded");
		const lastSeen = first.messages.at(-1)?.seq ?? 0;
		const second = await follow(runId, `?after=${lastSeen}`);
		expect(second.code).toBe(1000);
		const received = [...first.messages, ...second.messages]
			.filter((m) => m.type === "event")
			.map((m) => m.seq);
		const all = (await eventsOf(runId)).map((event) => event.seq);
		const firstSnapshot = first.messages[0]?.seq ?? 0;
		expect(received).toEqual(all.filter((seq) => seq > firstSnapshot));
	});

	it("resumes with ?after without a snapshot, each later event exactly once", async () => {
		const runId = await startPlan(waits);
		await followEvents(runId);
		const all = (await eventsOf(runId)).map((event) => event.seq);
		const { code, messages } = await follow(runId, "?after=3");
		expect(code).toBe(1000);
		expect(messages.every((message) => message.type === "event")).toBe(true);
		expect(messages.map((message) => message.seq)).toEqual(all.filter((seq) => seq > 3));
	});

	it("sends a live follower nothing up to a seq the run has not reached yet", async () => {
		const sse = await api(`/runs/${await startPlan(waits)}/stream?after=1000`);
		expect(await sse.text()).not.toContain("event: event");
		const { code, messages } = await follow(await startPlan(waits), "?after=1000");
		expect(code).toBe(1000);
		expect(messages).toEqual([]);
	}, 20_000);

	it("answers a follower that dropped without a close frame, never throwing", async () => {
		const runId = await startPlan(waits);
		await runInDurableObject(stubFor(runId), async (instance) => {
			const { 1: server } = new WebSocketPair();
			server.accept();
			await expect(instance.webSocketClose(server, 1006)).resolves.toBeUndefined();
		});
		await settle(runId);
	});

	it("serves many followers of one run", async () => {
		const runId = await startPlan(waits);
		const [a, b] = await Promise.all([follow(runId), follow(runId)]);
		expect(a.messages.at(-1)?.event?.type).toBe("run_completed");
		expect(b.messages.at(-1)?.event?.type).toBe("run_completed");
	});

	it("refuses a plain GET with 426, and unknown runs with 404", async () => {
		const runId = await startPlan(waits);
		expect((await api(`/runs/${runId}/ws`)).status).toBe(426);
		const unknown = await api(`/runs/${"0".repeat(64)}/ws`, { headers: { Upgrade: "websocket" } });
		expect(unknown.status).toBe(404);
		await settle(runId);
	});
});

describe("Server-Sent Events", () => {
	function parse(body: string) {
		return body
			.split("\n\n")
			.filter((frame) => frame.includes("data:"))
			.map((frame) => {
				const field = (name: string) => frame.match(new RegExp(`^${name}: ?(.*)$`, "m"))?.[1];
				return {
					id: Number(field("id")),
					event: field("event"),
					data: JSON.parse(field("data") ?? "null"),
				};
			});
	}

	it("streams a snapshot then every event with id: <seq> until the run ends", async () => {
		const runId = await startPlan(waits);
		const res = await api(`/runs/${runId}/stream`);
		expect(res.headers.get("content-type")).toContain("text/event-stream");
		const frames = parse(await res.text());
		expect(frames[0]?.event).toBe("snapshot");
		const events = frames.slice(1);
		expect(events.map((frame) => frame.id)).toEqual(
			events.map((_, index) => (frames[0]?.id ?? 0) + index + 1),
		);
		expect(events.at(-1)?.data).toMatchObject({ type: "event", event: { type: "run_completed" } });
	});

	it("ends at once when resumed at the final event", async () => {
		const runId = await startPlan(waits);
		await followEvents(runId);
		const final = (await eventsOf(runId)).at(-1)?.seq ?? 0;
		const res = await api(`/runs/${runId}/stream`, { headers: { "Last-Event-ID": String(final) } });
		expect(parse(await res.text())).toEqual([]);
	});

	it("refuses a Last-Event-ID that is not a seq, as it refuses a bad ?after=", async () => {
		const runId = await startPlan(waits);
		for (const res of [
			await api(`/runs/${runId}/stream`, { headers: { "Last-Event-ID": "garbage" } }),
			await api(`/runs/${runId}/stream`, { headers: { "Last-Event-ID": "-1" } }),
			await api(`/runs/${runId}/stream?after=abc`),
			await api(`/runs/${runId}/stream?after=1e3`),
			await api(`/runs/${runId}/stream?after=`),
		]) {
			expect(res.status).toBe(400);
			expect(await res.json()).toMatchObject({ error: { code: "invalid_request" } });
		}
		await followEvents(runId);
	});

	it("takes an empty Last-Event-ID as none, and the header over ?after= when both are sent", async () => {
		const runId = await startPlan(waits);
		await followEvents(runId);
		const all = await eventsOf(runId);
		const fresh = parse(
			await (await api(`/runs/${runId}/stream`, { headers: { "Last-Event-ID": "" } })).text(),
		);
		expect(fresh[0]?.event).toBe("snapshot");
		const both = parse(
			await (
				await api(`/runs/${runId}/stream?after=1`, { headers: { "Last-Event-ID": "3" } })
			).text(),
		);
		expect(both.map((frame) => frame.id)).toEqual(
			all.filter((event) => event.seq > 3).map((event) => event.seq),
		);
	});

	it("resumes after Last-Event-ID with exactly the events after it", async () => {
		const runId = await startPlan(waits);
		await followEvents(runId);
		const all = await eventsOf(runId);
		const res = await api(`/runs/${runId}/stream`, { headers: { "Last-Event-ID": "3" } });
		const frames = parse(await res.text());
		expect(frames.map((frame) => frame.id)).toEqual(
			all.filter((event) => event.seq > 3).map((event) => event.seq),
		);
		expect(frames.every((frame) => frame.event === "event")).toBe(true);
	});
});
