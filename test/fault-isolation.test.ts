import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, it, vi } from "vitest";
import { BulkheadLeases } from "../src/durable/bulkhead-leases";
import type { RunEvent } from "../src/engine/run/events";
import { settingsFor } from "../src/settings";
import { step } from "./fixtures/plans";
import { api, clientFor, eventsOf, followEvents, settle, startPlan } from "./fixtures/runs";

// Test settings (vitest.config.ts): http.request's breaker opens when half of at least 3 calls in
// a minute failed transiently, cools down for 1 s and closes after 2 successful trials; bulkheads allow 10 queued steps per
// tool and 50 per tenant at once.
const stub = new URL(inject("llmStubUrl"));

async function fetchOnce(status: number, policy: Record<string, number> = {}) {
	const url = `http://${stub.host}/__status/${status}`;
	const runId = await startPlan(
		{ goal: "fetch", steps: [step(1, "http.request", { method: "GET", url })] },
		{ policy: { max_attempts: 1, ...policy } },
	);
	return { runId, run: await settle(runId) };
}

async function breakerOf(tool: string) {
	const body = (await (await api("/tools")).json()) as {
		tools: Array<{ name: string; breaker: { status: string; counters: Record<string, number> } }>;
	};
	return body.tools.find((candidate) => candidate.name === tool)?.breaker;
}

describe("per-tool circuit breakers", () => {
	it("open on the failure rate, put steps off without spending attempts, half-open after the cool-down and close after M successes", async () => {
		// The breaker objects run in this isolate, so their log lines pass through this console.
		const warn = vi.spyOn(console, "warn");
		for (let i = 0; i < 3; i += 1) {
			const { run } = await fetchOnce(503);
			expect(run.execution_log[0]?.error?.code).toBe("http_status");
		}
		expect(await breakerOf("http.request")).toMatchObject({
			status: "open",
			counters: { failures: 3, opened: 1 },
		});
		const health = (await (await api("/health/checks")).json()) as {
			checks: { breakers: Record<string, { status: string }> };
		};
		expect(health.checks.breakers).toMatchObject({
			"http.request": { status: "open", counters: { failures: 3 } },
			calculator: { status: "closed" },
		});

		// Open: the step is put off to the end of the cool-down without spending an attempt, so a
		// run with a single attempt still completes, its one attempt being the half-open trial.
		const { runId, run: trial } = await fetchOnce(200);
		expect(trial.status).toBe("completed");
		expect(trial.execution_log[0]).toMatchObject({ attempts: 1, deferrals: 1 });
		const events = await eventsOf(runId);
		const deferred = events.find((event) => event.data.type === "step_deferred");
		expect(deferred?.data).toMatchObject({ reason: "circuit_open:http.request" });
		expect(events.filter((event) => event.data.type === "step_started")).toHaveLength(1);
		expect(await breakerOf("http.request")).toMatchObject({ status: "half_open" });

		const { run: second } = await fetchOnce(200);
		expect(second.status).toBe("completed");
		expect(await breakerOf("http.request")).toMatchObject({ status: "closed" });

		const transitions = warn.mock.calls
			.map(([line]) => String(line))
			.filter((line) => line.includes('"circuit breaker transition"'))
			.map((line) => JSON.parse(line) as Record<string, unknown>)
			.map((line) => [line.breaker, line.to]);
		warn.mockRestore();
		expect(transitions).toEqual([
			["tool:http.request", "open"],
			["tool:http.request", "half_open"],
			["tool:http.request", "closed"],
		]);
	});

	it("leave deterministic failures out: a refused host does not count against the tool", async () => {
		const before = await breakerOf("http.request");
		const runId = await startPlan(
			{ goal: "refused", steps: [step(1, "http.request", { url: "http://127.0.0.1:1/" })] },
			{ policy: { max_attempts: 1 } },
		);
		const run = await settle(runId);
		expect(run.execution_log[0]?.error?.code).toBe("host_not_allowed");
		// Whatever state earlier tests left it in, this run counted no failure against it.
		const after = await breakerOf("http.request");
		expect(after?.status).toBe(before?.status);
		expect(after?.counters.failures).toBe(before?.counters.failures);
	});
});

describe("bulkheads", () => {
	const eventIndex = (events: RunEvent[], test: (event: RunEvent) => boolean) =>
		events.findIndex(test);

	it("hold the 11th queued step of a tool, ready, until one of the 10 running frees a slot", async () => {
		const steps = Array.from({ length: 11 }, (_, index) =>
			step(index + 1, "chaos.queued", { behaviours: [{ latency_ms: 600 }] }),
		);
		const runId = await startPlan({ goal: "eleven", steps });
		const events = await followEvents(runId, (event) => event.data.type === "step_waiting");
		const waiting = events.at(-1);
		expect(waiting?.data).toMatchObject({
			type: "step_waiting",
			reason: "bulkhead tool:chaos.queued is full (10 running)",
		});
		const held = waiting?.data.type === "step_waiting" ? waiting.data.step : 0;
		const view = await clientFor(runId).view("default");
		expect(view?.execution_log.find((candidate) => candidate.step_number === held)).toMatchObject({
			status: "ready",
			attempts: 0,
		});
		expect(view?.execution_log.filter((candidate) => candidate.status === "running")).toHaveLength(
			10,
		);

		const run = await settle(runId);
		expect(run.status).toBe("completed");
		expect(run.execution_log.every((candidate) => candidate.attempts === 1)).toBe(true);
		const log = await eventsOf(runId);
		const heldStart = eventIndex(
			log,
			(event) => event.data.type === "step_started" && event.data.step === held,
		);
		const firstDone = eventIndex(log, (event) => event.data.type === "step_succeeded");
		expect(heldStart).toBeGreaterThan(firstDone);
	});

	it("give a cancelled run's slots back at once", async () => {
		const hanging = Array.from({ length: 10 }, (_, index) =>
			step(index + 1, "chaos.queued", { behaviours: [{ hang: true }] }),
		);
		// The hung deliveries time out in the consumer after 300 ms, long after the cancel; their
		// slots' leases would last seconds more, so only the cancel can have freed them.
		const cancelled = await startPlan(
			{ goal: "hog", steps: hanging },
			{ cancel_grace_ms: 50, policy: { timeout_ms: 300 } },
		);
		await followEvents(
			cancelled,
			(event) => event.data.type === "step_queued" && event.data.step === 10,
		);
		await clientFor(cancelled).cancel("default", false, "test");
		expect((await settle(cancelled)).status).toBe("cancelled");

		const next = await startPlan({ goal: "next", steps: [step(1, "chaos.queued", {})] });
		expect((await settle(next)).status).toBe("completed");
		expect((await eventsOf(next)).some((event) => event.data.type === "step_waiting")).toBe(false);
	});

	it("take the tenant's slot and the tool's together, or neither", async () => {
		const limited = {
			...env,
			BULKHEADS: JSON.stringify({ tenant: 2, tool: 0, tools: { "http.request": 1 } }),
		};
		const leases = new BulkheadLeases(limited, settingsFor(limited));
		const run = env.RUNS.newUniqueId().toString();
		expect(await leases.acquire(run, "acme", "chaos.queued", "a", 10_000)).toEqual({
			ok: true,
			value: undefined,
		});
		expect(await leases.acquire(run, "acme", "chaos.queued", "b", 10_000)).toEqual({
			ok: true,
			value: undefined,
		});
		expect(await leases.acquire(run, "acme", "chaos.queued", "c", 10_000)).toEqual({
			ok: false,
			error: "bulkhead tenant:acme is full (2 running)",
		});
		await leases.release("acme", "chaos.queued", "a");
		expect(await leases.acquire(run, "acme", "http.request", "d", 10_000)).toEqual({
			ok: true,
			value: undefined,
		});
		await leases.release("acme", "chaos.queued", "b");
		// The tenant has room, the tool has none: the tenant's slot is handed back at once.
		expect(await leases.acquire(run, "acme", "http.request", "e", 10_000)).toEqual({
			ok: false,
			error: "bulkhead tool:http.request is full (1 running)",
		});
		const tenant = env.LEASES.get(env.LEASES.idFromName("tenant:acme"));
		expect(await tenant.held()).toBe(1);
	});

	it("let a lease that is never released expire, so a crashed holder frees its slot", async () => {
		const bulkhead = env.LEASES.get(env.LEASES.idFromName("tool:expiry-test"));
		expect(await bulkhead.acquire("crashed", 1, 100)).toEqual({ granted: true, held: 1 });
		expect(await bulkhead.acquire("waiting", 1, 100)).toEqual({ granted: false, held: 1 });
		expect(await bulkhead.acquire("crashed", 1, 100)).toEqual({ granted: true, held: 1 });
		// The holder crashed: its lease's expiry passes (set in the past rather than waited for).
		await runInDurableObject(bulkhead, (_, state) => {
			const [key] = [...state.storage.kv.list({ prefix: "lease:" })].map(([name]) => name);
			if (key) state.storage.kv.put(key, Date.now() - 1);
		});
		expect(await bulkhead.acquire("waiting", 1, 100)).toEqual({ granted: true, held: 1 });
	});
});
