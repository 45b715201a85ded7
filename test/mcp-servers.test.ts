import { describe, expect, inject, it } from "vitest";
import { api, postJson, settle } from "./fixtures/runs";

const stub = () => inject("toolStubUrl");

interface Registered {
	server: { name: string };
	tools: { name: string; mutates: boolean; requires_approval: boolean; version: number }[];
	skipped: { tool: string; reason: string }[];
}

let counter = 0;
async function registerServer(path = "/mcp") {
	counter += 1;
	const name = `shop${Date.now().toString(36)}${counter}`;
	const res = await postJson("/mcp-servers", {
		name,
		url: `${stub()}${path}`,
		headers: { "X-Shop-Key": "s3cret" },
	});
	return { name, res };
}

async function mcpCalls(tool: string): Promise<unknown[]> {
	const all = (await (await fetch(`${stub()}/__calls`)).json()) as {
		path: string;
		body: unknown;
	}[];
	return all.filter((call) => call.path === `/mcp#${tool}`).map((call) => call.body);
}

describe("MCP servers as tool sources", () => {
	it("lists the server's tools with the official SDK and maps annotations onto flags", async () => {
		const { name, res } = await registerServer();
		expect(res.status, await res.clone().text()).toBe(201);
		const body = (await res.json()) as Registered;
		const byName = Object.fromEntries(body.tools.map((tool) => [tool.name, tool]));
		expect(byName[`mcp.${name}.lookup_order`]).toMatchObject({
			mutates: false,
			requires_approval: false,
		});
		// No readOnlyHint and a destructiveHint: mutating, and never without a person's approval.
		expect(byName[`mcp.${name}.delete-order`]).toMatchObject({
			mutates: true,
			requires_approval: true,
		});
		const catalogue = (await (await api("/tools")).json()) as { tools: { name: string }[] };
		expect(catalogue.tools.map((t) => t.name)).toContain(`mcp.${name}.lookup_order`);
		const sessions = (await (await fetch(`${stub()}/__calls`)).json()) as {
			path: string;
			headers?: Record<string, string>;
		}[];
		expect(
			sessions.some((call) => call.path === "/mcp" && call.headers?.["x-shop-key"] === "s3cret"),
		).toBe(true);
		const shown = await (await api(`/mcp-servers/${name}`)).json();
		expect(shown).toMatchObject({ name, header_names: ["X-Shop-Key"] });
		expect(JSON.stringify(shown)).not.toContain("s3cret");
	});

	it("runs a read-only MCP tool through tools/call and takes its structured answer", async () => {
		const { name } = await registerServer();
		const res = await postJson("/runs", {
			plan: {
				goal: "look up",
				steps: [{ step_number: 1, tool: `mcp.${name}.lookup_order`, input: { order_id: "A-7" } }],
			},
		});
		expect(res.status).toBe(201);
		const run = await settle(((await res.json()) as { run_id: string }).run_id);
		expect(run.status).toBe("completed");
		expect(run.result).toEqual({ order_id: "A-7", status: "shipped" });
	});

	it("holds a destructive MCP tool for approval, then calls it", async () => {
		const { name } = await registerServer();
		const tool = `mcp.${name}.delete-order`;
		const created = await postJson("/runs", {
			plan: {
				goal: "delete",
				steps: [{ step_number: 1, tool, input: { order_id: "D-1" }, requires_approval: false }],
			},
		});
		const { run_id: runId } = (await created.json()) as { run_id: string };
		await expect
			.poll(async () => ((await (await api(`/runs/${runId}`)).json()) as { status: string }).status)
			.toBe("waiting_approval");
		expect(await mcpCalls("delete_order")).not.toContainEqual({ order_id: "D-1" });
		await api(`/runs/${runId}/steps/1/approve`, { method: "POST" });
		expect((await settle(runId)).status).toBe("completed");
		expect(await mcpCalls("delete_order")).toContainEqual({ order_id: "D-1" });
	});

	it("fails the step with the tool's own message when it answers isError", async () => {
		const { name } = await registerServer();
		const created = await postJson("/runs", {
			plan: { goal: "refuse", steps: [{ step_number: 1, tool: `mcp.${name}.refuse`, input: {} }] },
		});
		const run = await settle(((await created.json()) as { run_id: string }).run_id);
		expect(run.execution_log[0]?.error).toMatchObject({
			code: "tool_rejected",
			message: expect.stringContaining("no such order"),
		});
	});

	it.each([
		["answers garbage", "/mcp-garbage"],
		["never answers", "/mcp-hang"],
	])("refuses a server that %s with 422, storing nothing", async (_case, path) => {
		const { name, res } = await registerServer(path);
		expect(res.status).toBe(422);
		expect(await res.json()).toMatchObject({ error: { code: "mcp_unusable" } });
		expect((await api(`/mcp-servers/${name}`)).status).toBe(404);
	});

	it("refuses a server off the allowlist, a bad name and a duplicate", async () => {
		const off = await postJson("/mcp-servers", {
			name: "elsewhere",
			url: "https://mcp.example.com/mcp",
		});
		expect(off.status).toBe(400);
		const bad = await postJson("/mcp-servers", { name: "Bad Name", url: `${stub()}/mcp` });
		expect(bad.status).toBe(400);
		const { name } = await registerServer();
		const again = await postJson("/mcp-servers", { name, url: `${stub()}/mcp` });
		expect(again.status).toBe(409);
	});

	it("never sends a removed server's run to a server registered again under its name", async () => {
		const { name } = await registerServer();
		const created = await postJson("/runs", {
			plan: {
				goal: "later",
				steps: [
					{ step_number: 1, tool: "wait", input: { ms: 300 } },
					{
						step_number: 2,
						tool: `mcp.${name}.lookup_order`,
						input: { order_id: "R-1" },
						depends_on: [1],
					},
				],
			},
		});
		const { run_id: runId } = (await created.json()) as { run_id: string };
		expect((await api(`/mcp-servers/${name}`, { method: "DELETE" })).status).toBe(200);
		const again = await postJson("/mcp-servers", {
			name,
			url: `${stub()}/mcp`,
			headers: { "X-Shop-Key": "new" },
		});
		expect(again.status).toBe(201);
		const run = await settle(runId);
		expect(run.execution_log[1]?.error?.code).toBe("tool_not_found");
		expect(await mcpCalls("lookup_order")).not.toContainEqual({ order_id: "R-1" });
	});

	it("refreshes on demand, and removing the server removes its tools", async () => {
		const { name } = await registerServer();
		const refreshed = await api(`/mcp-servers/${name}/refresh`, { method: "POST" });
		expect(refreshed.status).toBe(200);
		const body = (await refreshed.json()) as Registered;
		// Nothing changed on the server: the same versions stand.
		expect(body.tools.every((tool) => tool.version === 1)).toBe(true);
		expect((await api(`/mcp-servers/${name}`, { method: "DELETE" })).status).toBe(200);
		const catalogue = (await (await api("/tools")).json()) as { tools: { name: string }[] };
		expect(catalogue.tools.map((t) => t.name)).not.toContain(`mcp.${name}.lookup_order`);
		expect((await api(`/mcp-servers/${name}/refresh`, { method: "POST" })).status).toBe(404);
	});
});
