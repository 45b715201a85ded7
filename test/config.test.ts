import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { isProduction, registryFor } from "../src/config";

describe("environment configuration", () => {
	it("registers the chaos tool in tests and development only", () => {
		expect(registryFor(env).get("chaos")).toBeDefined();
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
});
