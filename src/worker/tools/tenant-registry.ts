import type { Context } from "hono";
import { registryFor } from "../../config";
import { tenantCatalogue, toolsFrom } from "../../durable/tenant-tools";
import type { ToolRegistry } from "../../engine/tools/registry";
import type { TenantToolDefinition } from "../../engine/tools/tenant/definition";
import type { AppEnv } from "../app-env";

/** The caller's tools: the deployment's plus the tenant's own current versions. */
export async function tenantRegistry(
	c: Context<AppEnv>,
): Promise<{ registry: ToolRegistry; catalogue: TenantToolDefinition[] }> {
	const catalogue = await tenantCatalogue(c.env, c.var.tenant);
	return { registry: registryFor(c.var.settings).with(toolsFrom(catalogue)), catalogue };
}

/** A tenant tool as the API shows it: its definition, never a secret or an MCP server's headers. */
export function describeTenantTool(definition: TenantToolDefinition) {
	return { ...definition, owner: "tenant" as const };
}
