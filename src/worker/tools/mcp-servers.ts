import { drizzle } from "drizzle-orm/d1";
import type { Context } from "hono";
import type { z } from "zod";
import {
	currentTools,
	deleteMcpServer,
	deleteTool,
	listMcpServers,
	markRefreshed,
	mcpServerOf,
	saveMcpServer,
	storeVersion,
} from "../../db/tenant-tools";
import { type ListedTool, listMcpTools } from "../../durable/mcp-client";
import { forgetTenantTools } from "../../durable/tenant-tools";
import { AppError } from "../../engine/errors";
import { checkUrl } from "../../engine/tools/http-request";
import {
	MAX_TOOL_DESCRIPTION,
	type McpServerBody,
	type McpToolDefinition,
	mcpFlags,
	mcpToolName,
} from "../../engine/tools/tenant/definition";
import { checkSchema } from "../../engine/tools/tenant/json-schema";
import type { AppEnv } from "../app-env";
import type { ApiErrorCode } from "../errors";

const MAX_TOOLS_PER_SERVER = 100;

const notFound = (name: string) =>
	new AppError<ApiErrorCode>("tool_not_found", `No MCP server of yours is named '${name}'`);

/** What a server lists, as tool definitions; a tool that cannot be used is skipped, with why. */
function definitionsOf(
	server: { name: string; url: string; server_id: string },
	listed: ListedTool[],
	timeoutMs: number,
) {
	const tools: Omit<McpToolDefinition, "version">[] = [];
	const skipped: { tool: string; reason: string }[] = [];
	for (const tool of listed.slice(0, MAX_TOOLS_PER_SERVER)) {
		const name = mcpToolName(server.name, String(tool.name));
		const schema = checkSchema(tool.inputSchema, "object");
		if (!name) skipped.push({ tool: String(tool.name), reason: "its name cannot be a tool name" });
		else if (!schema.ok)
			skipped.push({ tool: tool.name, reason: `input schema ${schema.error[0]}` });
		else if (tools.some((t) => t.name === name))
			skipped.push({ tool: tool.name, reason: "duplicate" });
		else {
			tools.push({
				kind: "mcp",
				name,
				server: server.name,
				server_id: server.server_id,
				server_url: server.url,
				tool: tool.name,
				description: String(tool.description ?? tool.name).slice(0, MAX_TOOL_DESCRIPTION),
				input_schema: schema.value,
				...mcpFlags(tool.annotations),
				timeout_ms: timeoutMs,
				execution: "queued",
			});
		}
	}
	if (listed.length > MAX_TOOLS_PER_SERVER) {
		skipped.push({ tool: "…", reason: `only the first ${MAX_TOOLS_PER_SERVER} tools are taken` });
	}
	return { tools, skipped };
}

/** Lists the server's tools, or a 422 that says why it cannot be used. */
async function listTools(c: Context<AppEnv>, server: z.output<typeof McpServerBody>) {
	const refusal = checkUrl(new URL(server.url), c.var.settings.HTTP_ALLOWLIST);
	if (refusal) {
		throw new AppError("invalid_request", `Invalid server: url: ${refusal}`, {
			issues: [{ path: "url", message: refusal }],
		});
	}
	try {
		return await listMcpTools({
			url: server.url,
			headers: server.headers ?? {},
			allowlist: c.var.settings.HTTP_ALLOWLIST,
			timeoutMs: c.var.settings.MCP_TIMEOUT_MS,
		});
	} catch (error) {
		// The SDK's own words can be a dump of a schema error: the first line says enough.
		const reason = (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
		throw new AppError<ApiErrorCode>(
			"mcp_unusable",
			`The MCP server at ${server.url} could not list its tools: ${reason.slice(0, 200)}`,
		);
	}
}

/** Stores a version for each new or changed tool and marks the ones gone as deleted. */
async function syncTools(
	c: Context<AppEnv>,
	serverName: string,
	tools: Omit<McpToolDefinition, "version">[],
) {
	const db = drizzle(c.env.DB);
	const prefix = `mcp.${serverName}.`;
	const before = (await currentTools(db, c.var.tenant)).filter((t) => t.name.startsWith(prefix));
	const stored: McpToolDefinition[] = [];
	for (const tool of tools) {
		const old = before.find((t) => t.name === tool.name);
		const same =
			old && JSON.stringify({ ...old, version: 0 }) === JSON.stringify({ ...tool, version: 0 });
		stored.push(
			same
				? (old as McpToolDefinition)
				: await storeVersion<McpToolDefinition>(db, c.var.tenant, tool),
		);
	}
	const gone = before.filter((t) => !tools.some((tool) => tool.name === t.name));
	for (const tool of gone) await deleteTool(db, c.var.tenant, tool.name);
	await markRefreshed(db, c.var.tenant, serverName);
	forgetTenantTools(c.var.tenant);
	return { stored, deleted: gone.map((tool) => tool.name) };
}

/** POST /mcp-servers: lists the server's tools first, so a server that cannot answer is refused. */
export async function registerMcpServer(c: Context<AppEnv>, body: z.output<typeof McpServerBody>) {
	const db = drizzle(c.env.DB);
	if (await mcpServerOf(db, c.var.tenant, body.name)) {
		throw new AppError<ApiErrorCode>(
			"tool_exists",
			`You already have an MCP server named '${body.name}'`,
		);
	}
	const serverId = crypto.randomUUID();
	const { tools, skipped } = definitionsOf(
		{ ...body, server_id: serverId },
		await listTools(c, body),
		c.var.settings.MCP_TIMEOUT_MS,
	);
	await saveMcpServer(db, c.var.tenant, {
		name: body.name,
		serverId,
		url: body.url,
		headers: body.headers ?? {},
	});
	const { stored } = await syncTools(c, body.name, tools);
	return c.json({ server: { name: body.name, url: body.url }, tools: stored, skipped }, 201);
}

/** POST /mcp-servers/:name/refresh: lists again; changed tools get a new version. */
export async function refreshMcpServer(c: Context<AppEnv>, name: string) {
	const server = await mcpServerOf(drizzle(c.env.DB), c.var.tenant, name);
	if (!server) throw notFound(name);
	const { tools, skipped } = definitionsOf(
		server,
		await listTools(c, server),
		c.var.settings.MCP_TIMEOUT_MS,
	);
	const { stored, deleted } = await syncTools(c, name, tools);
	return c.json({ server: { name, url: server.url }, tools: stored, skipped, deleted });
}

/** A server as the API shows it: its headers' names, never their values. */
async function shown(
	c: Context<AppEnv>,
	server: NonNullable<Awaited<ReturnType<typeof mcpServerOf>>>,
) {
	const tools = (await currentTools(drizzle(c.env.DB), c.var.tenant)).filter((t) =>
		t.name.startsWith(`mcp.${server.name}.`),
	);
	return {
		name: server.name,
		url: server.url,
		header_names: Object.keys(server.headers),
		created_at: server.created_at,
		refreshed_at: server.refreshed_at,
		tools: tools.map((tool) => tool.name),
	};
}

export async function listServers(c: Context<AppEnv>) {
	const servers = await listMcpServers(drizzle(c.env.DB), c.var.tenant);
	return c.json({ servers: await Promise.all(servers.map((server) => shown(c, server))) });
}

export async function readServer(c: Context<AppEnv>, name: string) {
	const server = await mcpServerOf(drizzle(c.env.DB), c.var.tenant, name);
	if (!server) throw notFound(name);
	return c.json(await shown(c, server));
}

export async function removeServer(c: Context<AppEnv>, name: string) {
	if (!(await deleteMcpServer(drizzle(c.env.DB), c.var.tenant, name))) throw notFound(name);
	forgetTenantTools(c.var.tenant);
	return c.json({ name, deleted: true });
}
