import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { baseUrl } from "./browser";

describe("the served OpenAPI document", () => {
	it("passes a full OpenAPI 3.1 schema validation", async () => {
		const res = await fetch(`${baseUrl()}/openapi.json`);
		expect(res.status).toBe(200);
		const validator = new Validator();
		const result = await validator.validate(await res.json());
		expect(result.errors ?? []).toEqual([]);
		expect(result.valid).toBe(true);
		expect(validator.version).toBe("3.1");
	});

	it("is rendered by the reference page with assets served by the Worker", async () => {
		const page = await (await fetch(`${baseUrl()}/docs`)).text();
		for (const asset of page.matchAll(/(?:src|href)="(\/[^"]+)"/g)) {
			const res = await fetch(`${baseUrl()}${asset[1]}`);
			expect(res.status, asset[1]).toBe(200);
		}
	});
});
