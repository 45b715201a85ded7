/**
 * Tenants' own tools, as the Worker and the run objects use them: the catalogue of a tenant
 * (current versions, from D1, cached per isolate for a few seconds), Tools built from recorded
 * definitions, and the port that gives those Tools their secrets and MCP sessions.
 */
import { drizzle } from "drizzle-orm/d1";
import { registryFor } from "../config";
import { currentTools, mcpServerOf, secretOf } from "../db/tenant-tools";
import { BoundedCache } from "../engine/bounded-cache";
import type { ToolRegistry } from "../engine/tools/registry";
import type { TenantToolDefinition } from "../engine/tools/tenant/definition";
import { httpTool } from "../engine/tools/tenant/http-tool";
import { McpUnavailable, mcpTool } from "../engine/tools/tenant/mcp-tool";
import type { TenantToolPort, Tool } from "../engine/tools/types";
import type { Settings } from "../settings";
import { callMcpTool } from "./mcp-client";

const CATALOGUE_MS = 5_000;
const SECRET_MS = 30_000;
const catalogues = new BoundedCache<TenantToolDefinition[]>(1_000, CATALOGUE_MS);
const secrets = new BoundedCache<string | null>(10_000, SECRET_MS);

/** The tenant's tools as they stand (a few seconds stale at most in other isolates). */
export async function tenantCatalogue(env: Env, tenant: string): Promise<TenantToolDefinition[]> {
	const cached = catalogues.get(tenant, Date.now());
	if (cached) return cached;
	const tools = await currentTools(drizzle(env.DB), tenant);
	catalogues.set(tenant, tools, Date.now());
	return tools;
}

/** After a change in this isolate, the next read goes to D1. */
export function forgetTenantTools(tenant: string): void {
	catalogues.delete(tenant);
	secrets.clear();
}

/** Tools from recorded definitions (a run's, or a catalogue's). */
export function toolsFrom(definitions: readonly TenantToolDefinition[] = []): Tool[] {
	return definitions.map((definition) =>
		definition.kind === "http" ? httpTool(definition) : mcpTool(definition),
	);
}

/**
 * A run's registry: the deployment's tools plus the tenant tools its plan recorded, rebuilt only
 * when the recorded list changes (once per object, in practice).
 */
export function runRegistry(settings: Settings) {
	let last:
		| { tools: readonly TenantToolDefinition[] | undefined; registry: ToolRegistry }
		| undefined;
	return (tools: readonly TenantToolDefinition[] | undefined): ToolRegistry => {
		if (!last || last.tools !== tools) {
			last = { tools, registry: registryFor(settings).with(toolsFrom(tools)) };
		}
		return last.registry;
	};
}

/** Secrets and MCP sessions for `tenant`'s tools, read from D1 when a call needs them. */
export function tenantToolPort(env: Env, settings: Settings, tenant: string): TenantToolPort {
	return {
		async secret(name, toolId) {
			const key = `${tenant}\u0000${name}\u0000${toolId}`;
			const cached = secrets.get(key, Date.now());
			if (cached !== undefined) return cached ?? undefined;
			const secret = await secretOf(drizzle(env.DB), tenant, name, toolId);
			secrets.set(key, secret ?? null, Date.now());
			return secret;
		},
		async callMcp(definition, args, ctx) {
			const server = await mcpServerOf(drizzle(env.DB), tenant, definition.server);
			// A server registered again under the name is another server: never hand this run's
			// call (or the new one's headers) across.
			if (!server || server.server_id !== definition.server_id) {
				throw new McpUnavailable(
					"tool_not_found",
					`The MCP server ${definition.server} was removed`,
					false,
				);
			}
			return callMcpTool(
				{
					url: server.url,
					headers: server.headers,
					allowlist: settings.HTTP_ALLOWLIST,
					timeoutMs: definition.timeout_ms,
					signal: ctx.signal,
				},
				definition.tool,
				args,
			);
		},
	};
}
