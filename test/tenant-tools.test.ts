import { describe, expect, inject, it } from "vitest";
import { verifySignature } from "../src/engine/tools/tenant/signature";
import { api, postJson, settle } from "./fixtures/runs";

const stub = () => inject("toolStubUrl");

interface Call {
	path: string;
	headers: Record<string, string>;
	body: { input: unknown; run_id: string; step: number; attempt: number; output?: unknown };
	raw: string;
}

async function calls(path: string): Promise<Call[]> {
	const all = (await (await fetch(`${stub()}/__calls`)).json()) as Call[];
	return all.filter((call) => call.path === path);
}

async function script(path: string, answers: unknown[]) {
	await fetch(`${stub()}/__script`, { method: "POST", body: JSON.stringify({ path, answers }) });
}

let counter = 0;
/** A tool with a name and an endpoint of its own, so tests never share stub state. */
function toolBody(overrides: Record<string, unknown> = {}) {
	counter += 1;
	const name = `acme.t${Date.now().toString(36)}${counter}`;
	return {
		name,
		description: "Looks up an order",
		input_schema: {
			type: "object",
			properties: { order_id: { type: "string", minLength: 1 } },
			required: ["order_id"],
			additionalProperties: false,
		},
		url: `${stub()}/tools/${name}`,
		...overrides,
	};
}

async function register(overrides: Record<string, unknown> = {}) {
	const body = toolBody(overrides);
	const res = await postJson("/tools", body);
	expect(res.status, await res.clone().text()).toBe(201);
	const { tool, secret } = (await res.json()) as {
		tool: { name: string; version: number };
		secret: string;
	};
	return { name: tool.name, secret, path: `/tools/${tool.name}`, body };
}

async function runPlan(steps: unknown[], options: Record<string, unknown> = {}) {
	const res = await postJson("/runs", { plan: { goal: "use my tool", steps }, ...options });
	expect(res.status, await res.clone().text()).toBe(201);
	return ((await res.json()) as { run_id: string }).run_id;
}

const step = (name: string, input: unknown = { order_id: "o-1" }, extra = {}) => ({
	step_number: 1,
	tool: name,
	input,
	...extra,
});

describe("tenant HTTP tools: registration", () => {
	it("registers a tool, answers its secret once, and lists it beside the built-ins", async () => {
		const { name, secret } = await register();
		expect(secret).toMatch(/^whsec_[0-9a-f]{64}$/);
		const list = (await (await api("/tools")).json()) as {
			tools: { name: string; owner: string }[];
		};
		expect(list.tools.find((t) => t.name === name)).toMatchObject({
			owner: "tenant",
			kind: "http",
			version: 1,
		});
		expect(list.tools.find((t) => t.name === "calculator")).toMatchObject({ owner: "runtime" });
		const one = await (await api(`/tools/${name}`)).json();
		expect(JSON.stringify(one)).not.toContain(secret);
	});

	it.each([
		["a reserved namespace", { name: "todo.add2" }, "name"],
		["a name without a namespace", { name: "lookup" }, "name"],
		["a non-object input schema", { input_schema: { type: "string" } }, "input_schema"],
		[
			"an external $ref",
			{
				input_schema: {
					type: "object",
					properties: { a: { $ref: "https://evil.example/s.json" } },
				},
			},
			"input_schema",
		],
		["a schema nested too deep", { input_schema: nested(12) }, "input_schema"],
		[
			"an oversized schema",
			{ input_schema: { type: "object", description: "x".repeat(20_000) } },
			"input_schema",
		],
		["an oversized description", { description: "x".repeat(1_001) }, "description"],
		[
			"a $ref to nothing",
			{ input_schema: { type: "object", properties: { a: { $ref: "#/$defs/nope" } } } },
			"input_schema",
		],
		[
			"a pattern that does not compile",
			{ input_schema: { type: "object", properties: { a: { type: "string", pattern: "([a-" } } } },
			"input_schema",
		],
		[
			"a pattern with a nested quantifier",
			{
				input_schema: { type: "object", properties: { a: { type: "string", pattern: "^(a+)+$" } } },
			},
			"input_schema",
		],
		[
			"a keyword of the wrong kind",
			{ input_schema: { type: "object", properties: { a: { type: "string", minLength: "3" } } } },
			"input_schema",
		],
		[
			"required that is not a list",
			{ input_schema: { type: "object", required: "a" } },
			"input_schema",
		],
		["credentials in the URL", { url: "http://user:pw@127.0.0.1:1/tool" }, "url"],
		["a host off the allowlist", { url: "https://example.com/tool" }, "url"],
		["a private address", { url: "http://10.0.0.1/tool" }, "url"],
		["a non-http URL", { url: "ftp://files.example/tool" }, "url"],
		["an unknown field", { extra: true }, "body"],
	])("refuses %s with a 400 naming the field", async (_case, overrides, field) => {
		const res = await postJson("/tools", toolBody(overrides));
		expect(res.status).toBe(400);
		const body = (await res.json()) as {
			error: { code: string; details: { issues: { path: string }[] } };
		};
		expect(body.error.code).toBe("invalid_request");
		if (field !== "body") expect(body.error.details.issues.map((i) => i.path)).toContain(field);
	});

	it("refuses a second tool of the same name with 409, and a built-in's deletion with 400", async () => {
		const { body } = await register();
		const again = await postJson("/tools", body);
		expect(again.status).toBe(409);
		expect(await again.json()).toMatchObject({ error: { code: "tool_exists" } });
		expect((await api("/tools/calculator", { method: "DELETE" })).status).toBe(400);
		expect((await api("/tools/acme.nothing", { method: "DELETE" })).status).toBe(404);
	});
});

describe("tenant HTTP tools: calls", () => {
	it("POSTs a signed request with the step's idempotency key and trace, and takes the JSON answer", async () => {
		const { name, secret, path } = await register();
		await script(path, [{ status: 200, body: { order: "o-1", status: "shipped" } }]);
		const res = await postJson(
			"/runs",
			{ plan: { goal: "look up", steps: [step(name)] } },
			{ traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
		);
		const { run_id: runId } = (await res.json()) as { run_id: string };
		const run = await settle(runId);
		expect(run.status).toBe("completed");
		expect(run.result).toEqual({ order: "o-1", status: "shipped" });
		const [call] = await calls(path);
		expect(call?.body).toEqual({ input: { order_id: "o-1" }, run_id: runId, step: 1, attempt: 1 });
		expect(call?.headers["idempotency-key"]).toMatch(new RegExp(`^${runId}:1`));
		expect(call?.headers.traceparent).toMatch(
			/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/,
		);
		const signature = call?.headers["x-signature"] ?? "";
		expect(await verifySignature(secret, call?.raw ?? "", signature, Date.now())).toBe(true);
		expect(await verifySignature(secret, `${call?.raw} `, signature, Date.now())).toBe(false);
	});

	it("retries 503 and 429, and keeps the idempotency key across attempts", async () => {
		const { name, path } = await register();
		await script(path, [{ status: 503 }, { status: 429 }, { status: 200, body: { ok: true } }]);
		const run = await settle(
			await runPlan([step(name)], { policy: { base_delay_ms: 0, max_delay_ms: 0 } }),
		);
		expect(run.status).toBe("completed");
		expect(run.execution_log[0]?.attempts).toBe(3);
		const keys = new Set((await calls(path)).map((call) => call.headers["idempotency-key"]));
		expect(keys.size).toBe(1);
	});

	it.each([
		[
			"a 4xx, with the remote's own message",
			[{ status: 404, body: { error: { message: "no order o-1" } } }],
			"tool_rejected",
			/no order o-1/,
		],
		[
			"a body that is not JSON",
			[{ status: 200, raw: "<html>" }],
			"tool_output_invalid",
			/without JSON/,
		],
		[
			"a body over the cap",
			[{ status: 200, raw: "x".repeat(300 * 1024) }],
			"tool_output_too_large",
			/more than/,
		],
		["a redirect", [{ status: 302, body: {} }], "tool_rejected", /redirect/],
	])("fails the step on %s, at once", async (_case, answers, code, message) => {
		const { name, path } = await register();
		await script(path, answers);
		const run = await settle(await runPlan([step(name)]));
		expect(run.status).toBe("failed");
		expect(run.execution_log[0]?.attempts).toBe(1);
		expect(run.execution_log[0]?.error).toMatchObject({
			code,
			message: expect.stringMatching(message),
		});
	});

	it("checks the answer against output_schema", async () => {
		const { name, path } = await register({
			output_schema: {
				type: "object",
				required: ["status"],
				properties: { status: { type: "string" } },
			},
		});
		await script(path, [{ status: 200, body: { state: "shipped" } }]);
		const run = await settle(await runPlan([step(name)]));
		expect(run.execution_log[0]?.error?.code).toBe("tool_output_invalid");
	});

	it("validates inputs against the tool's JSON Schema when the plan is made", async () => {
		const { name } = await register();
		const res = await postJson("/runs", {
			plan: { goal: "bad", steps: [step(name, { order_id: 7 })] },
		});
		expect(res.status).toBe(400);
		expect(await res.json()).toMatchObject({ error: { code: "invalid_plan" } });
		const dry = await postJson(`/tools/${name}/test`, { input: { order: "x" } });
		expect(dry.status).toBe(400);
		const fine = await postJson(`/tools/${name}/test`, { input: { order_id: "o-9" } });
		expect(await fine.json()).toMatchObject({
			valid: true,
			executed: false,
			would: expect.stringContaining("POST"),
		});
	});

	it("runs the version a run planned with, after a PUT makes a new one", async () => {
		const { name, path, body } = await register();
		const runId = await runPlan([
			{ step_number: 1, tool: "wait", input: { ms: 300 } },
			{ ...step(name), step_number: 2, depends_on: [1] },
		]);
		const put = await api(`/tools/${name}`, {
			method: "PUT",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ ...body, url: `${stub()}/tools/${name}-v2` }),
		});
		expect(put.status).toBe(200);
		expect(await put.json()).toMatchObject({ tool: { version: 2 } });
		expect((await settle(runId)).status).toBe("completed");
		expect(await calls(path)).toHaveLength(1);
		await settle(await runPlan([step(name)]));
		expect(await calls(`${path}-v2`)).toHaveLength(1);
	});

	it("rotates the secret, and a deleted tool can be planned no more", async () => {
		const { name, secret, path } = await register();
		const rotated = (await (await api(`/tools/${name}/secret`, { method: "POST" })).json()) as {
			secret: string;
		};
		expect(rotated.secret).not.toBe(secret);
		await settle(await runPlan([step(name)]));
		const [call] = await calls(path);
		expect(
			await verifySignature(
				rotated.secret,
				call?.raw ?? "",
				call?.headers["x-signature"] ?? "",
				Date.now(),
			),
		).toBe(true);
		expect((await api(`/tools/${name}`, { method: "DELETE" })).status).toBe(200);
		expect((await api(`/tools/${name}`)).status).toBe(404);
		const res = await postJson("/runs", { plan: { goal: "gone", steps: [step(name)] } });
		expect(res.status).toBe(400);
	});

	it("never hands a deleted tool's run the secret of a new tool of the same name", async () => {
		const { name, path, body } = await register();
		const runId = await runPlan([
			{ step_number: 1, tool: "wait", input: { ms: 300 } },
			{ ...step(name), step_number: 2, depends_on: [1] },
		]);
		expect((await api(`/tools/${name}`, { method: "DELETE" })).status).toBe(200);
		const again = await postJson("/tools", { ...body, url: `${body.url}-new` });
		expect(again.status).toBe(201);
		const run = await settle(runId);
		expect(run.execution_log[1]?.error?.code).toBe("tool_not_found");
		expect(await calls(path)).toHaveLength(0);
		expect(await calls(`${path}-new`)).toHaveLength(0);
	});

	it("waits for approval when the tool requires it", async () => {
		const { name, path } = await register({ requires_approval: true });
		const runId = await runPlan([step(name)]);
		await expect
			.poll(async () => ((await (await api(`/runs/${runId}`)).json()) as { status: string }).status)
			.toBe("waiting_approval");
		expect(await calls(path)).toHaveLength(0);
		expect((await api(`/runs/${runId}/steps/1/approve`, { method: "POST" })).status).toBe(200);
		expect((await settle(runId)).status).toBe("completed");
	});

	it("calls compensate.url with the input and output when a cancel compensates", async () => {
		const undo = `/tools/undo-${Date.now().toString(36)}`;
		const { name } = await register({ compensate: { url: `${stub()}${undo}` } });
		const runId = await runPlan([
			step(name),
			{ step_number: 2, tool: "wait", input: { ms: 60_000 }, depends_on: [1] },
		]);
		await expect
			.poll(async () => {
				const run = (await (await api(`/runs/${runId}`)).json()) as {
					execution_log: { status: string }[];
				};
				return run.execution_log[1]?.status;
			})
			.toBe("running");
		await postJson(`/runs/${runId}/cancel`, { compensate: true });
		const run = await settle(runId);
		expect(run.execution_log[0]?.status).toBe("compensated");
		const [call] = await calls(undo);
		expect(call?.body).toMatchObject({
			input: { order_id: "o-1" },
			output: { echo: { order_id: "o-1" } },
			run_id: runId,
		});
	});
});

function nested(depth: number): Record<string, unknown> {
	let schema: Record<string, unknown> = { type: "string" };
	for (let i = 0; i < depth; i += 1) schema = { type: "object", properties: { a: schema } };
	return schema;
}
