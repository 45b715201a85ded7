import { exports } from "cloudflare:workers";
import { hc } from "hono/client";
import { describe, expect, it } from "vitest";
import type { AppType } from "../src/worker/app";
import { api, settle } from "./fixtures/runs";

const client = hc<AppType>("http://runtime.test", {
	fetch: (input: RequestInfo | URL, init?: RequestInit) =>
		exports.default.fetch(new Request(input, init)),
});

describe("routing", () => {
	it.each([
		["PUT", "/runs", "GET, POST"],
		["PATCH", `/runs/${"a".repeat(64)}`, "DELETE, GET"],
		["POST", `/runs/${"a".repeat(64)}/events`, "GET"],
		["DELETE", `/runs/${"a".repeat(64)}/stream`, "GET"],
		["GET", `/runs/${"a".repeat(64)}/cancel`, "POST"],
		["PUT", `/runs/${"a".repeat(64)}/steps/2/reject`, "POST"],
		["GET", "/tools/calculator/test", "POST"],
		["PATCH", "/tools", "GET, POST"],
		["PATCH", "/tools/acme.x", "DELETE, GET, PUT"],
		["POST", "/health/checks", "GET"],
		["DELETE", "/stats", "GET"],
	])(
		"answers %s %s with 405 and Allow: %s, from the registered routes",
		async (method, path, allow) => {
			const res = await api(path, { method });
			expect(res.status).toBe(405);
			expect(res.headers.get("allow")).toBe(allow);
			expect(await res.json()).toMatchObject({
				error: { code: "method_not_allowed", message: expect.stringContaining(method) },
			});
		},
	);

	it("answers paths no route serves with 404 route_not_found under any method", async () => {
		for (const [method, path] of [
			["GET", "/nope"],
			["POST", "/runs/abc/nope"],
			["GET", "/runs/abc/steps/x"],
			["DELETE", "/tools/calculator/test/x"],
		] as const) {
			const res = await api(path, { method });
			expect([method, path, res.status]).toEqual([method, path, 404]);
			expect(res.headers.get("allow")).toBeNull();
			expect(await res.json()).toMatchObject({ error: { code: "route_not_found" } });
		}
	});

	it("keeps a handler's own 404 (an unknown run) a 404", async () => {
		const res = await api(`/runs/${"a".repeat(64)}/cancel`, { method: "POST" });
		expect(res.status).toBe(404);
		expect(await res.json()).toMatchObject({ error: { code: "run_not_found" } });
	});

	it("serves a client typed by AppType", async () => {
		const created = await client.runs.$post({ json: { prompt: "compute 2+2" } });
		expect(created.status).toBe(201);
		const { run_id } = await created.json();
		await settle(run_id);
		const read = await client.runs[":id"].$get({ param: { id: run_id }, query: {} });
		expect(await read.json()).toMatchObject({ run_id, status: "completed", result: 4 });
	});
});
