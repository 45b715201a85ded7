import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { createApp } from "../src/worker/app";

describe("unhandled errors", () => {
	it("answer a generic 500 and log the stack on the server only", async () => {
		const app = createApp();
		app.get("/boom", () => {
			throw new TypeError("secret detail in a bug");
		});
		const logged = vi.spyOn(console, "error").mockImplementation(() => {});
		const ctx = createExecutionContext();
		const res = await app.fetch(new Request("http://runtime.test/boom"), env, ctx);
		await waitOnExecutionContext(ctx);

		expect(res.status).toBe(500);
		const body = await res.text();
		expect(JSON.parse(body)).toEqual({
			error: { code: "internal_error", message: "Internal error" },
		});
		expect(body).not.toContain("secret detail");
		const line = JSON.parse(String(logged.mock.calls.at(-1)?.[0]));
		expect(line).toMatchObject({ message: "unhandled error", error: "TypeError" });
		expect(line.stack).toContain("secret detail in a bug");
		expect(line.stack).toMatch(/unhandled-errors\.test\.ts/);
		logged.mockRestore();
	});
});

describe("invalid settings", () => {
	it("answer 503 misconfigured, naming the variable but not its value", async () => {
		const app = createApp();
		const broken = { ...env, CIRCUIT_BREAKERS: '{"default": {"failure_rate": 7}}' };
		const logged = vi.spyOn(console, "error").mockImplementation(() => {});
		const ctx = createExecutionContext();
		const res = await app.fetch(new Request("http://runtime.test/runs"), broken, ctx);
		await waitOnExecutionContext(ctx);
		expect(res.status).toBe(503);
		expect(await res.json()).toMatchObject({
			error: { code: "misconfigured", message: expect.stringContaining("CIRCUIT_BREAKERS") },
		});
		expect(String(logged.mock.calls.at(-1)?.[0])).toContain("invalid settings");
		logged.mockRestore();
	});
});
