import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import type { TenantToolDefinition } from "../engine/tools/tenant/definition";
import { mcpServers, tenantTools, toolSecrets } from "./schema";

type Db = DrizzleD1Database;
const now = () => new Date().toISOString();

/** The current version of each of a tenant's tools (deleted ones left out), by name. */
export async function currentTools(db: Db, tenant: string): Promise<TenantToolDefinition[]> {
	const rows = await db
		.select({ name: tenantTools.name, definition: tenantTools.definition })
		.from(tenantTools)
		.where(
			and(
				eq(tenantTools.tenant, tenant),
				isNull(tenantTools.deletedAt),
				sql`${tenantTools.version} = (SELECT MAX(version) FROM tenant_tools t WHERE t.tenant = ${tenantTools.tenant} AND t.name = ${tenantTools.name})`,
			),
		)
		.orderBy(tenantTools.name);
	return rows.map((row) => JSON.parse(row.definition) as TenantToolDefinition);
}

/** The newest version number a tool ever had (deleted or not), or 0. */
async function lastVersion(db: Db, tenant: string, name: string): Promise<number> {
	const [row] = await db
		.select({ version: tenantTools.version })
		.from(tenantTools)
		.where(and(eq(tenantTools.tenant, tenant), eq(tenantTools.name, name)))
		.orderBy(desc(tenantTools.version))
		.limit(1);
	return row?.version ?? 0;
}

/** Stores a new version of a tool (1 for a new one) and answers it as stored. */
export async function storeVersion<T extends TenantToolDefinition>(
	db: Db,
	tenant: string,
	definition: Omit<T, "version">,
): Promise<T> {
	const version = (await lastVersion(db, tenant, definition.name)) + 1;
	const stored = { ...definition, version } as T;
	await db.insert(tenantTools).values({
		tenant,
		name: definition.name,
		version,
		kind: definition.kind,
		definition: JSON.stringify(stored),
		createdAt: now(),
	});
	return stored;
}

/** Marks every version deleted; runs that recorded one keep it. Answers whether it existed. */
export async function deleteTool(db: Db, tenant: string, name: string): Promise<boolean> {
	const [deleted] = await db.batch([
		db
			.update(tenantTools)
			.set({ deletedAt: now() })
			.where(
				and(
					eq(tenantTools.tenant, tenant),
					eq(tenantTools.name, name),
					isNull(tenantTools.deletedAt),
				),
			)
			.returning({ version: tenantTools.version }),
		db.delete(toolSecrets).where(and(eq(toolSecrets.tenant, tenant), eq(toolSecrets.name, name))),
	]);
	return deleted.length > 0;
}

export async function setSecret(
	db: Db,
	tenant: string,
	name: string,
	toolId: string,
	secret: string,
) {
	await db
		.insert(toolSecrets)
		.values({ tenant, name, toolId, secret, rotatedAt: now() })
		.onConflictDoUpdate({
			target: [toolSecrets.tenant, toolSecrets.name],
			set: { secret, toolId, rotatedAt: now() },
		});
}

/** The secret of the tool `toolId` names, if that tool still holds the name. */
export async function secretOf(
	db: Db,
	tenant: string,
	name: string,
	toolId: string,
): Promise<string | undefined> {
	const [row] = await db
		.select({ secret: toolSecrets.secret })
		.from(toolSecrets)
		.where(
			and(
				eq(toolSecrets.tenant, tenant),
				eq(toolSecrets.name, name),
				eq(toolSecrets.toolId, toolId),
			),
		)
		.limit(1);
	return row?.secret;
}

export interface McpServerRow {
	name: string;
	server_id: string;
	url: string;
	headers: Record<string, string>;
	created_at: string;
	refreshed_at: string | null;
}

export async function mcpServerOf(
	db: Db,
	tenant: string,
	name: string,
): Promise<McpServerRow | undefined> {
	const [row] = await db
		.select()
		.from(mcpServers)
		.where(and(eq(mcpServers.tenant, tenant), eq(mcpServers.name, name)))
		.limit(1);
	return row
		? {
				name: row.name,
				server_id: row.serverId,
				url: row.url,
				headers: JSON.parse(row.headers) as Record<string, string>,
				created_at: row.createdAt,
				refreshed_at: row.refreshedAt,
			}
		: undefined;
}

export async function listMcpServers(db: Db, tenant: string): Promise<McpServerRow[]> {
	const rows = await db
		.select({ name: mcpServers.name })
		.from(mcpServers)
		.where(eq(mcpServers.tenant, tenant))
		.orderBy(mcpServers.name);
	const servers = await Promise.all(rows.map((row) => mcpServerOf(db, tenant, row.name)));
	return servers.filter((server) => server !== undefined);
}

export async function saveMcpServer(
	db: Db,
	tenant: string,
	server: { name: string; serverId: string; url: string; headers: Record<string, string> },
) {
	await db
		.insert(mcpServers)
		.values({ tenant, ...server, headers: JSON.stringify(server.headers), createdAt: now() })
		.onConflictDoUpdate({
			target: [mcpServers.tenant, mcpServers.name],
			set: { url: server.url, serverId: server.serverId, headers: JSON.stringify(server.headers) },
		});
}

export async function markRefreshed(db: Db, tenant: string, name: string) {
	await db
		.update(mcpServers)
		.set({ refreshedAt: now() })
		.where(and(eq(mcpServers.tenant, tenant), eq(mcpServers.name, name)));
}

/** Deletes the server and marks its tools deleted. Answers whether it existed. */
export async function deleteMcpServer(db: Db, tenant: string, name: string): Promise<boolean> {
	const [removed] = await db.batch([
		db
			.delete(mcpServers)
			.where(and(eq(mcpServers.tenant, tenant), eq(mcpServers.name, name)))
			.returning({ name: mcpServers.name }),
		db
			.update(tenantTools)
			.set({ deletedAt: now() })
			.where(
				and(
					eq(tenantTools.tenant, tenant),
					sql`substr(${tenantTools.name}, 1, ${`mcp.${name}.`.length}) = ${`mcp.${name}.`}`,
					isNull(tenantTools.deletedAt),
				),
			),
	]);
	return removed.length > 0;
}
