import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
	breakerConfigFor,
	bulkheadLimitsFor,
	isProduction,
	queueRetryDelayS,
	registryFor,
} from "../src/config";

describe("environment configuration", () => {
	it("registers the chaos tool in tests and development only", () => {
		expect(registryFor(env).get("chaos")?.execution).toBe("inline");
		expect(registryFor(env).get("chaos.queued")?.execution).toBe("queued");
		const production = { ...env, ENVIRONMENT: "production" };
		expect(isProduction(production)).toBe(true);
		expect(registryFor(production).get("chaos")).toBeUndefined();
		expect(registryFor(production).names()).toEqual([
			"calculator",
			"todo.add",
			"todo.list",
			"todo.get",
			"todo.complete",
			"todo.delete",
			"wait",
			"http.request",
		]);
	});

	it("reads breaker settings per tool over their default, and ignores invalid ones", () => {
		const settings = (value: unknown) => ({ ...env, CIRCUIT_BREAKERS: JSON.stringify(value) });
		const configured = settings({
			default: { minimum_calls: 7 },
			"http.request": { cool_down_ms: 5_000, failure_rate: 0.25 },
		});
		expect(breakerConfigFor(configured, "http.request")).toEqual({
			failure_rate: 0.25,
			minimum_calls: 7,
			window_ms: 60_000,
			cool_down_ms: 5_000,
			success_threshold: 2,
		});
		expect(breakerConfigFor(configured, "calculator").cool_down_ms).toBe(30_000);
		for (const invalid of [{ minimum_calls: -1 }, { failure_rate: 0 }, { failure_rate: 1.5 }]) {
			expect(breakerConfigFor(settings({ default: invalid }), "calculator").minimum_calls).toBe(20);
		}
		expect(breakerConfigFor({ ...env, CIRCUIT_BREAKERS: "not json" }, "x").minimum_calls).toBe(20);
	});

	it("reads bulkhead limits per tool over the per-tool default, 0 meaning none", () => {
		const configured = {
			...env,
			BULKHEADS: JSON.stringify({ tenant: 0, tool: 5, tools: { "http.request": 2 } }),
		};
		expect(bulkheadLimitsFor(configured, "http.request")).toEqual({ tenant: 0, tool: 2 });
		expect(bulkheadLimitsFor(configured, "chaos.queued")).toEqual({ tenant: 0, tool: 5 });
		expect(bulkheadLimitsFor({ ...env, BULKHEADS: "[1]" }, "x")).toEqual({ tenant: 50, tool: 20 });
	});

	it("doubles the redelivery delay per delivery, up to a minute", () => {
		const base = { ...env, QUEUE_RETRY_DELAY_S: "2" };
		expect([1, 2, 3, 4, 10].map((delivery) => queueRetryDelayS(base, delivery))).toEqual([
			2, 4, 8, 16, 60,
		]);
	});
});
