import { env } from "cloudflare:workers";
import { sign } from "hono/jwt";
import { describe, expect, it } from "vitest";
import { parseSettings } from "../src/settings";
import { issueStreamToken } from "../src/worker/stream-token";
import { BOOTSTRAP, call, GLOBEX, json, storeKey } from "./fixtures/auth";

const SECRET = "a stream token secret of at least 32 characters";
const withSecret = { STREAM_TOKEN_SECRET: SECRET } as Partial<Env>;

async function createRun(key = BOOTSTRAP): Promise<string> {
	const res = await call("/runs", json({ prompt: "calculate 2+3" }), key, withSecret);
	expect(res.status).toBe(201);
	return ((await res.json()) as { run_id: string }).run_id;
}

async function tokenFor(runId: string, key = BOOTSTRAP) {
	const res = await call(`/runs/${runId}/stream-token`, { method: "POST" }, key, withSecret);
	return { res, body: (await res.json()) as { token: string; expires_at: string } };
}

const stream = (runId: string, token: string) =>
	call(`/runs/${runId}/stream?token=${encodeURIComponent(token)}`, {}, undefined, withSecret);

/**
 * With no STREAM_TOKEN_SECRET and auth on, a token the server issues follows its run, and one
 * signed with the public development secret is refused.
 */
async function expectUnforgeable(key: string, tenant: string, override: Partial<Env> = {}) {
	const res = await call("/runs", json({ prompt: "calculate 2+3" }), key, override);
	const { run_id: runId } = (await res.json()) as { run_id: string };
	const issued = await call(`/runs/${runId}/stream-token`, { method: "POST" }, key, override);
	expect(issued.status).toBe(201);
	const { token } = (await issued.json()) as { token: string };
	const followed = await call(`/runs/${runId}/stream?token=${token}`, {}, undefined, override);
	expect(followed.status).toBe(200);
	await followed.body?.cancel();
	const now = Math.floor(Date.now() / 1000);
	const forged = await sign(
		{ sub: tenant, run: runId, aud: "run-stream", iat: now, exp: now + 300 },
		"development-only stream token secret, never for production",
		"HS256",
	);
	const refused = await call(`/runs/${runId}/stream?token=${forged}`, {}, undefined, override);
	expect(refused.status).toBe(401);
}

describe("stream tokens", () => {
	it("are issued for a run of the caller's tenant, expiring in 5 minutes by default", async () => {
		const runId = await createRun();
		const before = Date.now();
		const { res, body } = await tokenFor(runId);
		expect(res.status).toBe(201);
		const lifetime = Date.parse(body.expires_at) - before;
		expect(lifetime).toBeGreaterThan(290_000);
		expect(lifetime).toBeLessThanOrEqual(300_000);
		const followed = await stream(runId, body.token);
		expect(followed.status).toBe(200);
		expect(followed.headers.get("content-type")).toMatch(/text\/event-stream/);
		expect(await followed.text()).toContain("event: snapshot");
	});

	it("need a key, and a run the key's tenant can see", async () => {
		const runId = await createRun();
		expect((await call(`/runs/${runId}/stream-token`, { method: "POST" })).status).toBe(401);
		await storeKey(GLOBEX, "globex");
		const { res } = await tokenFor(runId, GLOBEX);
		expect(res.status).toBe(404);
	});

	it("open only the live routes of their own run", async () => {
		const runId = await createRun();
		const other = await createRun();
		const { body } = await tokenFor(runId);
		const q = `?token=${encodeURIComponent(body.token)}`;
		expect((await stream(other, body.token)).status).toBe(401);
		for (const path of [`/runs/${runId}${q}`, `/runs/${runId}/events${q}`, `/runs${q}`]) {
			const res = await call(path, {}, undefined, withSecret);
			expect(res.status, path).toBe(401);
		}
		const cancel = await call(`/runs/${runId}/cancel${q}`, json({}), undefined, withSecret);
		expect(cancel.status).toBe(401);
	});

	it("open no run of another tenant, even with a genuine token of that tenant's own run", async () => {
		await storeKey(GLOBEX, "globex");
		const theirs = await createRun(GLOBEX);
		const { body } = await tokenFor(theirs, GLOBEX);
		expect((await stream(theirs, body.token)).status).toBe(200);
		const acmeRun = await createRun();
		expect((await stream(acmeRun, body.token)).status).toBe(401);
	});

	it("refuse expired, altered and foreign-signed tokens with 401", async () => {
		const runId = await createRun();
		const settings = parseSettings({ ...env, ...withSecret });
		const expired = await issueStreamToken(settings, "acme", runId, Date.now() - 301_000);
		const { body } = await tokenFor(runId);
		const [head = "", payload = "", signature = ""] = body.token.split(".");
		const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")));
		const widened = btoa(JSON.stringify({ ...claims, run: "*" })).replace(/=+$/, "");
		const foreign = await sign({ ...claims }, "some other secret that is long enough", "HS256");
		for (const token of [
			expired.token,
			`${head}.${widened}.${signature}`,
			`${body.token.slice(0, -2)}xx`,
			foreign,
			"not-a-token",
		]) {
			const res = await stream(runId, token);
			expect(res.status, token).toBe(401);
			expect(await res.json()).toMatchObject({ error: { code: "unauthorized" } });
		}
	});

	it("cannot be forged with the public development secret when auth is on", async () => {
		// No STREAM_TOKEN_SECRET: outside production the key is derived from the bootstrap key.
		await expectUnforgeable(BOOTSTRAP, "acme");
	});

	it("work with auth on and no secret or bootstrap key, outside production", async () => {
		// Neither: the isolate makes a random secret of its own.
		await storeKey(GLOBEX, "globex");
		await expectUnforgeable(GLOBEX, "globex", { BOOTSTRAP_API_KEY: "" } as Partial<Env>);
	});

	it("are refused in production without a secret of their own", async () => {
		const runId = await createRun();
		const res = await call(`/runs/${runId}/stream-token`, { method: "POST" }, BOOTSTRAP, {
			ENVIRONMENT: "production",
		});
		expect(res.status).toBe(503);
		expect(await res.json()).toMatchObject({ error: { code: "misconfigured" } });
	});

	it("are covered by CORS for the configured origins", async () => {
		const runId = await createRun();
		const res = await call(`/runs/${runId}/stream-token`, {
			method: "OPTIONS",
			headers: {
				Origin: "https://app.example",
				"Access-Control-Request-Method": "POST",
				"Access-Control-Request-Headers": "authorization",
			},
		});
		expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example");
	});
});
