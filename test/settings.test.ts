import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { registryFor } from "../src/config";
import {
	breakerConfigFor,
	bulkheadLimitsFor,
	isProduction,
	limitsFor,
	parseSettings,
	queueRetryDelayS,
	SettingsError,
	settingsFor,
} from "../src/settings";

describe("settings", () => {
	it("give every variable its default when none is set", () => {
		const settings = parseSettings({});
		expect(settings).toMatchObject({
			ENVIRONMENT: "production",
			LOG_LEVEL: "info",
			RUN_RETENTION_DAYS: 7,
			OPENAI_TIMEOUT_MS: 10_000,
			DEFAULT_PLANNER: "auto",
			AUTH: "off",
			CORS_ORIGINS: [],
			HTTP_ALLOWLIST: [],
			QUEUE_DELIVERY_MS: 30_000,
		});
		expect(isProduction(settings)).toBe(true);
		expect(breakerConfigFor(settings, "x")).toEqual({
			failure_rate: 0.5,
			minimum_calls: 20,
			window_ms: 60_000,
			cool_down_ms: 30_000,
			success_threshold: 2,
		});
	});

	it("refuse invalid values loudly, naming each variable and never its value", () => {
		const attempt = () =>
			parseSettings({
				LOG_LEVEL: "loud",
				OPENAI_TIMEOUT_MS: "soon",
				CIRCUIT_BREAKERS: '{"default": {"failure_rate": 2}}',
				RATE_LIMITS: "not json",
				BOOTSTRAP_API_KEY: "sk-secret-value",
			});
		expect(attempt).toThrow(SettingsError);
		const message = (() => {
			try {
				attempt();
				return "";
			} catch (error) {
				return String(error);
			}
		})();
		for (const name of ["LOG_LEVEL", "OPENAI_TIMEOUT_MS", "CIRCUIT_BREAKERS", "RATE_LIMITS"]) {
			expect(message).toContain(name);
		}
		expect(message).not.toContain("sk-secret-value");
	});

	it("read an empty number as unset, giving its default rather than 0", () => {
		const settings = parseSettings({
			MAX_IN_FLIGHT: "",
			RUN_RETENTION_DAYS: "",
			QUEUE_DELIVERY_MS: "",
			QUEUE_RETRY_DELAY_S: "",
			OPENAI_TIMEOUT_MS: "",
		});
		expect(settings).toMatchObject({
			MAX_IN_FLIGHT: 500,
			RUN_RETENTION_DAYS: 7,
			QUEUE_DELIVERY_MS: 30_000,
			QUEUE_RETRY_DELAY_S: 2,
			OPENAI_TIMEOUT_MS: 10_000,
		});
	});

	it("are parsed once per environment object", () => {
		expect(settingsFor(env)).toBe(settingsFor(env));
		expect(settingsFor({ ...env })).not.toBe(settingsFor(env));
	});

	it("read comma lists, lower-casing hosts", () => {
		const settings = parseSettings({
			CORS_ORIGINS: " https://a.example , https://b.example,",
			HTTP_ALLOWLIST: "API.Example.com, 127.0.0.1:9000",
		});
		expect(settings.CORS_ORIGINS).toEqual(["https://a.example", "https://b.example"]);
		expect(settings.HTTP_ALLOWLIST).toEqual(["api.example.com", "127.0.0.1:9000"]);
	});

	it("leave the fault-injection tools out of production", () => {
		const production = registryFor(parseSettings({ ENVIRONMENT: "production" })).names();
		expect(production).not.toContain("chaos");
		expect(registryFor(parseSettings({ ENVIRONMENT: "development" })).names()).toContain("chaos");
	});

	it("read breaker settings per tool over their default", () => {
		const settings = parseSettings({
			CIRCUIT_BREAKERS: JSON.stringify({
				default: { minimum_calls: 7 },
				"http.request": { cool_down_ms: 5_000, failure_rate: 0.25 },
			}),
		});
		expect(breakerConfigFor(settings, "http.request")).toEqual({
			failure_rate: 0.25,
			minimum_calls: 7,
			window_ms: 60_000,
			cool_down_ms: 5_000,
			success_threshold: 2,
		});
		expect(breakerConfigFor(settings, "calculator").cool_down_ms).toBe(30_000);
	});

	it("read tenant limits and bulkheads over their defaults, 0 meaning no bulkhead", () => {
		const settings = parseSettings({
			RATE_LIMITS: JSON.stringify({ default: { capacity: 10 }, acme: { live_runs: 3 } }),
			BULKHEADS: JSON.stringify({ tenant: 0, tool: 5, tools: { "http.request": 2 } }),
		});
		expect(limitsFor(settings, "acme")).toEqual({ capacity: 10, refill_per_s: 1, live_runs: 3 });
		expect(limitsFor(settings, "other").live_runs).toBe(100);
		expect(bulkheadLimitsFor(settings, "http.request")).toEqual({ tenant: 0, tool: 2 });
		expect(bulkheadLimitsFor(settings, "chaos.queued")).toEqual({ tenant: 0, tool: 5 });
	});

	it("double the redelivery delay per delivery, up to a minute", () => {
		const settings = parseSettings({ QUEUE_RETRY_DELAY_S: "2" });
		expect([1, 2, 3, 4, 10].map((delivery) => queueRetryDelayS(settings, delivery))).toEqual([
			2, 4, 8, 16, 60,
		]);
	});

	it("reads an empty secret as unset, as .dev.vars.example writes it", () => {
		expect(parseSettings({ STREAM_TOKEN_SECRET: "" }).STREAM_TOKEN_SECRET).toBeUndefined();
		expect(() => parseSettings({ STREAM_TOKEN_SECRET: "short" })).toThrow(/STREAM_TOKEN_SECRET/);
	});
});
