import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { apiKey, baseUrl } from "./browser";

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

describe("the document against the real answers", () => {
	const call = (path: string, init: RequestInit = {}) =>
		fetch(`${baseUrl()}${path}`, {
			...init,
			headers: {
				Authorization: `Bearer ${apiKey()}`,
				"content-type": "application/json",
				...init.headers,
			},
		});

	it("describes each answer the server actually gives, success and error alike", async () => {
		const doc = (await (await fetch(`${baseUrl()}/openapi.json`)).json()) as {
			paths: Record<
				string,
				Record<
					string,
					{ responses: Record<string, { content?: Record<string, { schema: object }> }> }
				>
			>;
			components: { schemas: Record<string, object> };
		};
		const ajv = new Ajv2020({ strict: false, allErrors: true });
		addFormats(ajv);
		ajv.addSchema({ $id: "doc", components: doc.components });
		const schemaOf = (path: string, method: string, status: number) => {
			const schema =
				doc.paths[path]?.[method]?.responses[String(status)]?.content?.["application/json"]?.schema;
			if (!schema) throw new Error(`${method} ${path} documents no ${status}`);
			// Component references resolve inside the registered document.
			return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/'));
		};
		const check = async (res: Response, path: string, method: string) => {
			const body = await res.json();
			const validate = ajv.compile(schemaOf(path, method, res.status));
			expect(
				validate(body),
				`${method} ${path} ${res.status}: ${ajv.errorsText(validate.errors)}`,
			).toBe(true);
			return body;
		};
		const created = await check(
			await call("/runs", { method: "POST", body: JSON.stringify({ prompt: "calculate 2+3" }) }),
			"/runs",
			"post",
		);
		const id = (created as { run_id: string }).run_id;
		await check(await call(`/runs/${id}`), "/runs/{id}", "get");
		await check(await call(`/runs/${id}/events`), "/runs/{id}/events", "get");
		await check(await call(`/runs/${id}/trace`), "/runs/{id}/trace", "get");
		await check(
			await call(`/runs/${id}/stream-token`, { method: "POST" }),
			"/runs/{id}/stream-token",
			"post",
		);
		await check(
			await call(`/runs/${id}/fork`, { method: "POST", body: "{}" }),
			"/runs/{id}/fork",
			"post",
		);
		await check(await call("/runs?limit=5"), "/runs", "get");
		await check(await call("/tools"), "/tools", "get");
		await check(await call("/stats"), "/stats", "get");
		await check(await fetch(`${baseUrl()}/health`), "/health", "get");
		await check(await call(`/runs/${"0".repeat(64)}`), "/runs/{id}", "get");
		await check(await call("/runs", { method: "POST", body: "{}" }), "/runs", "post");
		await check(
			await call("/runs", { method: "POST", body: JSON.stringify({ prompt: "sing me a song" }) }),
			"/runs",
			"post",
		);
		await check(await fetch(`${baseUrl()}/runs`), "/runs", "get");
	});
});
