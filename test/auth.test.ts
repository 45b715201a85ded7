import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BOOTSTRAP, call, GLOBEX, json, REVOKED, storeKey } from "./fixtures/auth";
import { stubFor } from "./fixtures/runs";

describe("authentication", () => {
	it.each([
		["no header", undefined],
		["a Basic header", "Basic dXNlcjpwYXNz"],
		["an empty bearer", "Bearer "],
		["a short token", "Bearer abc"],
		["a 300-character token", `Bearer ${"k".repeat(300)}`],
		["a token with a space", "Bearer abcdefghijklmnop qrstuvwx"],
		["an unknown key", "Bearer ak_unknown_0123456789abcdefghij"],
	])("answers %s with 401 and WWW-Authenticate", async (_name, header) => {
		const res = await call("/runs", { headers: header ? { Authorization: header } : {} });
		expect(res.status).toBe(401);
		expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
		const body = (await res.json()) as { error: { code: string; message: string } };
		expect(body.error.code).toBe("unauthorized");
		expect(JSON.stringify(body)).not.toContain(BOOTSTRAP);
	});

	it("lets /health through without a key, and tells it only liveness", async () => {
		const res = await call("/health");
		expect(res.status).toBe(200);
		expect(Object.keys((await res.json()) as object).sort()).toEqual(["status", "version"]);
		expect((await call("/health/checks")).status).toBe(401);
		const checks = await call("/health/checks", {}, BOOTSTRAP);
		expect(await checks.json()).toMatchObject({ checks: { d1: { status: "ok" } } });
	});

	it("accepts the bootstrap key and keys stored as hashes, and refuses revoked ones", async () => {
		await storeKey(GLOBEX, "globex");
		await storeKey(REVOKED, "globex", true);
		expect((await call("/runs", {}, BOOTSTRAP)).status).toBe(200);
		expect((await call("/runs", {}, GLOBEX)).status).toBe(200);
		expect((await call("/runs", {}, REVOKED)).status).toBe(401);
		const { results } = await env.DB.prepare("SELECT key_hash FROM api_keys").all<{
			key_hash: string;
		}>();
		expect(results.map((row) => row.key_hash)).not.toContain(GLOBEX);
	});

	it("refuses to serve in production without a key store", async () => {
		const res = await call("/runs", {}, BOOTSTRAP, {
			ENVIRONMENT: "production",
			BOOTSTRAP_API_KEY: "",
		});
		expect(res.status).toBe(503);
		expect(await res.json()).toMatchObject({ error: { code: "auth_not_configured" } });
		const open = await call("/runs", {}, undefined, { ENVIRONMENT: "production", AUTH: "off" });
		expect(open.status).toBe(401);
	});
});

describe("tenant isolation", () => {
	it("hides every run of tenant A from tenant B, on every route", async () => {
		await storeKey(GLOBEX, "globex");
		const created = await call(
			"/runs",
			json({
				plan: {
					goal: "acme secret",
					steps: [
						{ step_number: 1, tool: "todo.add", input: { title: "acme secret plan" } },
						{ step_number: 2, tool: "wait", input: { ms: 60_000 }, depends_on: [1] },
					],
				},
			}),
			BOOTSTRAP,
		);
		expect(created.status).toBe(201);
		const { run_id: runId } = (await created.json()) as { run_id: string };
		expect((await call(`/runs/${runId}`, {}, BOOTSTRAP)).status).toBe(200);

		const attempts: Array<[string, RequestInit]> = [
			[`/runs/${runId}`, {}],
			[`/runs/${runId}?at=1`, {}],
			[`/runs/${runId}/events`, {}],
			[`/runs/${runId}/stream`, {}],
			[`/runs/${runId}/ws`, { headers: { Upgrade: "websocket", "X-Run-Tenant": "acme" } }],
			[`/runs/${runId}/cancel`, json({})],
			[`/runs/${runId}`, { method: "DELETE" }],
			[`/runs/${runId}/retry`, { method: "POST" }],
			[`/runs/${runId}/fork`, json({})],
			[`/runs/${runId}/steps/2/approve`, { method: "POST" }],
			[`/runs/${runId}/steps/2/reject`, json({ reason: "no" })],
		];
		for (const [path, init] of attempts) {
			const res = await call(path, init, GLOBEX);
			expect([path, res.status]).toEqual([path, 404]);
			expect(await res.json()).toMatchObject({ error: { code: "run_not_found" } });
		}
		const listed = (await (await call("/runs", {}, GLOBEX)).json()) as {
			runs: Array<{ run_id: string }>;
		};
		expect(listed.runs.map((run) => run.run_id)).not.toContain(runId);
		const stats = (await (await call("/stats", {}, GLOBEX)).json()) as { runs: { total: number } };
		expect(stats.runs.total).toBe(0);

		const theirs = await call("/runs", json({ prompt: "show my todos", planner: "rules" }), GLOBEX);
		expect(theirs.status).toBe(201);
		// A's run still stands, untouched by B's attempts.
		const mine = (await (await call(`/runs/${runId}`, {}, BOOTSTRAP)).json()) as { status: string };
		expect(["pending", "running"]).toContain(mine.status);
	});

	it("scopes Idempotency-Key per tenant", async () => {
		await storeKey(GLOBEX, "globex");
		const headers = { "content-type": "application/json", "Idempotency-Key": "shared-key" };
		const a = await call(
			"/runs",
			{ method: "POST", headers, body: JSON.stringify({ prompt: "calculate 1" }) },
			BOOTSTRAP,
		);
		const b = await call(
			"/runs",
			{ method: "POST", headers, body: JSON.stringify({ prompt: "calculate 2" }) },
			GLOBEX,
		);
		expect([a.status, b.status]).toEqual([201, 201]);
	});
});

describe("response hardening", () => {
	it("sends security headers and no-store on API responses", async () => {
		const res = await call("/runs", {}, BOOTSTRAP);
		expect(res.headers.get("x-content-type-options")).toBe("nosniff");
		expect(res.headers.get("referrer-policy")).toBe("no-referrer");
		expect(res.headers.get("cache-control")).toBe("no-store");
	});

	it("allows only listed CORS origins, and never a wildcard in production", async () => {
		const listed = await call("/health", { headers: { Origin: "https://app.example" } });
		expect(listed.headers.get("access-control-allow-origin")).toBe("https://app.example");
		const other = await call("/health", { headers: { Origin: "https://evil.example" } });
		expect(other.headers.get("access-control-allow-origin")).toBeNull();
		const wildcard = await call(
			"/health",
			{ headers: { Origin: "https://evil.example" } },
			undefined,
			{
				ENVIRONMENT: "production",
				CORS_ORIGINS: "*",
			},
		);
		expect(wildcard.headers.get("access-control-allow-origin")).toBeNull();
	});
});

describe("rate limits", () => {
	it("refuses mutating requests past the tenant's bucket with 429 and Retry-After, leaving reads alone", async () => {
		const limits = JSON.stringify({
			default: { capacity: 100 },
			acme: { capacity: 2, refill_per_s: 0.01 },
		});
		const create = () =>
			call("/runs", json({ prompt: "calculate 1" }), BOOTSTRAP, { RATE_LIMITS: limits });
		expect((await create()).status).toBe(201);
		expect((await create()).status).toBe(201);
		const refused = await create();
		expect(refused.status).toBe(429);
		expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
		expect(await refused.json()).toMatchObject({ error: { code: "rate_limited" } });
		expect((await call("/runs", {}, BOOTSTRAP, { RATE_LIMITS: limits })).status).toBe(200);
		await storeKey(GLOBEX, "globex");
		expect(
			(await call("/runs", json({ prompt: "calculate 2" }), GLOBEX, { RATE_LIMITS: limits }))
				.status,
		).toBe(201);
	});
});

describe("live-run cap", () => {
	it("refuses a run over the tenant's live-run allowance, and frees the slot when a run finishes", async () => {
		const CAPPED = "ak_capped_0123456789abcdefghijklm";
		await storeKey(CAPPED, "capped");
		const limits = JSON.stringify({
			default: { capacity: 100 },
			capped: { capacity: 100, live_runs: 1 },
		});
		const waitPlan = {
			plan: { goal: "hold", steps: [{ step_number: 1, tool: "wait", input: { ms: 60_000 } }] },
		};
		const first = await call("/runs", json(waitPlan), CAPPED, { RATE_LIMITS: limits });
		expect(first.status).toBe(201);
		const second = await call("/runs", json(waitPlan), CAPPED, { RATE_LIMITS: limits });
		expect(second.status).toBe(429);
		expect(await second.json()).toMatchObject({
			error: { code: "too_many_live_runs", details: { limit: 1 } },
		});
		// Cancelling the first finishes it; its archive gives the slot back.
		const { run_id: runId } = (await first.json()) as { run_id: string };
		expect(
			(await call(`/runs/${runId}/cancel`, json({}), CAPPED, { RATE_LIMITS: limits })).status,
		).toBe(200);
		await runInDurableObject(stubFor(runId), (instance) => instance.alarm());
		expect((await call("/runs", json(waitPlan), CAPPED, { RATE_LIMITS: limits })).status).toBe(201);
	});
});

describe("auth outside production", () => {
	it("accepts stored keys with AUTH=on and no bootstrap key", async () => {
		await storeKey(GLOBEX, "globex");
		expect((await call("/runs", {}, GLOBEX, { BOOTSTRAP_API_KEY: "" })).status).toBe(200);
		expect((await call("/runs", {}, undefined, { BOOTSTRAP_API_KEY: "" })).status).toBe(401);
	});
});
