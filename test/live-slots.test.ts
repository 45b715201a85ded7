import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, json, storeKey } from "./fixtures/auth";
import { stubFor } from "./fixtures/runs";

const limits = JSON.stringify({ default: { capacity: 1_000, refill_per_s: 100, live_runs: 2 } });
const quick = {
	plan: {
		goal: "quick",
		steps: [{ step_number: 1, tool: "calculator", input: { expression: "1+1" } }],
	},
};

async function finish(runId: string): Promise<void> {
	// The first alarm runs the plan; the archive that gives the slot back runs in the same alarm.
	await runInDurableObject(stubFor(runId), (instance) => instance.alarm());
	await runInDurableObject(stubFor(runId), (instance) => instance.alarm());
}

describe("live-run slots", () => {
	it("are not taken by replays of an Idempotency-Key of a finished run", async () => {
		const key = "ak_slots_0123456789abcdefghijklmn";
		await storeKey(key, "slots");
		const request = () =>
			call(
				"/runs",
				{
					...json(quick),
					headers: { "content-type": "application/json", "Idempotency-Key": "once" },
				},
				key,
				{ RATE_LIMITS: limits },
			);
		const first = await request();
		expect(first.status).toBe(201);
		const { run_id: runId } = (await first.json()) as { run_id: string };
		await finish(runId);
		for (let replay = 0; replay < 3; replay += 1) expect((await request()).status).toBe(200);

		const fresh = await call("/runs", json(quick), key, { RATE_LIMITS: limits });
		expect(fresh.status).toBe(201);
		const quota = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName("slots"));
		const held = await runInDurableObject(quota, (_, state) =>
			[...state.storage.kv.list({ prefix: "live:" })].map(([slot]) => slot),
		);
		expect(held).not.toContain(`live:${runId}`);
	});

	it("expire when their run is gone, once the tenant is full", async () => {
		const quota = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName("leaky"));
		const ghost = env.RUNS.newUniqueId().toString();
		const young = env.RUNS.newUniqueId().toString();
		await runInDurableObject(quota, (_, state) => {
			// A slot taken two minutes ago by a run that was never created, and a fresh one.
			state.storage.kv.put(`live:${ghost}`, Date.now() - 120_000);
			state.storage.kv.put(`live:${young}`, Date.now());
		});
		const next = env.RUNS.newUniqueId().toString();
		expect(await quota.acquireRun(next, 2)).toEqual({ ok: true, live: 2, taken: true });
		// The young slot's run may still be on its way: it is never dropped.
		expect(await quota.acquireRun(env.RUNS.newUniqueId().toString(), 2)).toMatchObject({
			ok: false,
		});
	});
});
