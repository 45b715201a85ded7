import { describe, expect, it } from "vitest";
import { createApp } from "../src/worker/app";
import { call } from "./fixtures/auth";

interface Document {
	openapi: string;
	paths: Record<
		string,
		Record<string, { security?: unknown[]; responses: Record<string, unknown> }>
	>;
	components: { securitySchemes: Record<string, unknown> };
	security: unknown[];
}

async function document(): Promise<Document> {
	const res = await call("/openapi.json");
	expect(res.status).toBe(200);
	return (await res.json()) as Document;
}

/** "GET /runs/{id}" for every route the app serves (its handlers, not its middleware). */
function servedRoutes(): string[] {
	const routes = createApp().routes.filter((route) => route.method !== "ALL");
	const openApiPath = (path: string) => path.replace(/:([A-Za-z_]+)/g, "{$1}");
	return [...new Set(routes.map((route) => `${route.method} ${openApiPath(route.path)}`))].sort();
}

describe("the OpenAPI document", () => {
	it("is public OpenAPI 3.1 with the bearer scheme required by default", async () => {
		const doc = await document();
		expect(doc.openapi).toBe("3.1.0");
		expect(doc.components.securitySchemes.bearerAuth).toMatchObject({
			type: "http",
			scheme: "bearer",
		});
		expect(doc.security).toEqual([{ bearerAuth: [] }]);
		expect(doc.paths["/health"]?.get?.security).toEqual([]);
		expect(doc.paths["/runs"]?.get?.security).toBeUndefined();
	});

	it("describes every route the app serves, and nothing else", async () => {
		const doc = await document();
		const described = Object.entries(doc.paths)
			.flatMap(([path, item]) =>
				Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
			)
			.sort();
		expect(described).toEqual(servedRoutes());
		expect(described.length).toBeGreaterThan(15);
	});

	it("names each route's error statuses in the one error shape", async () => {
		const doc = await document();
		const create = doc.paths["/runs"]?.post?.responses ?? {};
		expect(Object.keys(create)).toEqual(
			expect.arrayContaining([
				"200",
				"201",
				"400",
				"401",
				"409",
				"413",
				"415",
				"422",
				"429",
				"503",
			]),
		);
		expect(create["422"]).toMatchObject({
			description: "Error: unplannable_prompt",
			content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
		});
		const approve = doc.paths["/runs/{id}/steps/{n}/approve"]?.post as unknown as {
			parameters: { name: string; in: string }[];
		};
		expect(approve.parameters.map((p) => `${p.in} ${p.name}`).sort()).toEqual([
			"path id",
			"path n",
		]);
	});

	it("takes its request schemas from the validators", async () => {
		const doc = (await document()) as unknown as {
			paths: {
				"/runs": {
					post: {
						requestBody: {
							content: Record<string, { schema: { properties: object; examples: unknown[] } }>;
						};
						parameters: Array<{ name: string; schema: Record<string, unknown> }>;
					};
				};
			};
		};
		const body = doc.paths["/runs"].post.requestBody.content["application/json"]?.schema;
		expect(Object.keys(body?.properties ?? {})).toEqual(
			expect.arrayContaining(["prompt", "plan", "policy"]),
		);
		expect(body?.examples?.length).toBeGreaterThan(0);
		const key = doc.paths["/runs"].post.parameters.find((p) => p.name === "Idempotency-Key");
		expect(key?.schema).toMatchObject({ type: "string", pattern: expect.any(String) });
		expect(new RegExp(String(key?.schema.pattern)).test("x".repeat(256))).toBe(false);
	});

	it("is rendered at /docs from the Worker's own assets, with no CDN", async () => {
		const res = await call("/docs");
		expect(res.status).toBe(200);
		const page = await res.text();
		expect(page).toContain('src="/vendor/swagger-ui/swagger-ui-bundle.js"');
		expect(page).not.toMatch(/https?:\/\//);
	});
});
