import { drizzle } from "drizzle-orm/d1";
import type { Context } from "hono";
import type { z } from "zod";
import { currentTools, deleteTool, setSecret, storeVersion } from "../../db/tenant-tools";
import { forgetTenantTools } from "../../durable/tenant-tools";
import { AppError } from "../../engine/errors";
import { checkUrl } from "../../engine/tools/http-request";
import {
	type HttpToolBody,
	type HttpToolDefinition,
	isTenantTool,
} from "../../engine/tools/tenant/definition";
import { checkSchema, type JsonSchema } from "../../engine/tools/tenant/json-schema";
import type { AppEnv } from "../app-env";
import type { ApiErrorCode } from "../errors";
import { describeTenantTool } from "./tenant-registry";

/** A fresh signing secret: 32 random bytes, hex, with a prefix that says what it is. */
function newSecret(): string {
	const bytes = crypto.getRandomValues(new Uint8Array(32));
	return `whsec_${[...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}

/** Schemas and URLs checked beyond the body's shape: every problem at once, as a 400. */
function checkDefinition(c: Context<AppEnv>, body: z.output<typeof HttpToolBody>) {
	const issues: { path: string; message: string }[] = [];
	const input = checkSchema(body.input_schema, "object");
	if (!input.ok) issues.push(...input.error.map((message) => ({ path: "input_schema", message })));
	if (body.output_schema) {
		const output = checkSchema(body.output_schema);
		if (!output.ok)
			issues.push(...output.error.map((message) => ({ path: "output_schema", message })));
	}
	for (const [path, url] of [
		["url", body.url],
		["compensate.url", body.compensate?.url],
	] as const) {
		if (!url) continue;
		const refusal = checkUrl(new URL(url), c.var.settings.HTTP_ALLOWLIST);
		if (refusal) issues.push({ path, message: refusal });
	}
	if (issues.length) {
		throw new AppError(
			"invalid_request",
			`Invalid tool: ${issues[0]?.path}: ${issues[0]?.message}`,
			{
				issues,
			},
		);
	}
}

async function current(c: Context<AppEnv>, name: string): Promise<HttpToolDefinition | undefined> {
	const tools = await currentTools(drizzle(c.env.DB), c.var.tenant);
	const found = tools.find((tool) => tool.name === name);
	return found?.kind === "http" ? found : undefined;
}

const notFound = (name: string) =>
	new AppError<ApiErrorCode>("tool_not_found", `No tool of yours is named '${name}'`);

/** POST /tools: version 1 of a new tool, and its secret (shown this once). */
export async function registerHttpTool(c: Context<AppEnv>, body: z.output<typeof HttpToolBody>) {
	checkDefinition(c, body);
	const db = drizzle(c.env.DB);
	const existing = (await currentTools(db, c.var.tenant)).find((tool) => tool.name === body.name);
	if (existing) {
		throw new AppError<ApiErrorCode>(
			"tool_exists",
			`You already have a tool named '${body.name}': PUT /tools/${body.name} makes a new version`,
		);
	}
	const toolId = crypto.randomUUID();
	const stored = await storeVersion<HttpToolDefinition>(db, c.var.tenant, {
		kind: "http",
		...body,
		tool_id: toolId,
		input_schema: body.input_schema as JsonSchema,
		...(body.output_schema ? { output_schema: body.output_schema as JsonSchema } : {}),
	});
	const secret = newSecret();
	await setSecret(db, c.var.tenant, body.name, toolId, secret);
	forgetTenantTools(c.var.tenant);
	return c.json({ tool: describeTenantTool(stored), secret }, 201);
}

/** PUT /tools/:name: a new version; runs already planned keep theirs. */
export async function replaceHttpTool(
	c: Context<AppEnv>,
	name: string,
	body: z.output<typeof HttpToolBody>,
) {
	if (body.name !== name) {
		throw new AppError("invalid_request", `The body names '${body.name}', the path '${name}'`, {
			issues: [{ path: "name", message: "Must match the path" }],
		});
	}
	const previous = await current(c, name);
	if (!previous) throw notFound(name);
	checkDefinition(c, body);
	const stored = await storeVersion<HttpToolDefinition>(drizzle(c.env.DB), c.var.tenant, {
		kind: "http",
		...body,
		tool_id: previous.tool_id,
		input_schema: body.input_schema as JsonSchema,
		...(body.output_schema ? { output_schema: body.output_schema as JsonSchema } : {}),
	});
	forgetTenantTools(c.var.tenant);
	return c.json({ tool: describeTenantTool(stored) });
}

/** DELETE /tools/:name: gone for new runs; runs that recorded it fail its steps `tool_not_found`. */
export async function removeHttpTool(c: Context<AppEnv>, name: string) {
	if (!isTenantTool(name) || name.startsWith("mcp.")) {
		throw new AppError(
			"invalid_request",
			`'${name}' is not a tool you registered with POST /tools`,
		);
	}
	if (!(await deleteTool(drizzle(c.env.DB), c.var.tenant, name))) throw notFound(name);
	forgetTenantTools(c.var.tenant);
	return c.json({ name, deleted: true });
}

/** POST /tools/:name/secret: a new secret at once; the old one stops working everywhere within 30 s. */
export async function rotateSecret(c: Context<AppEnv>, name: string) {
	const tool = await current(c, name);
	if (!tool) throw notFound(name);
	const secret = newSecret();
	await setSecret(drizzle(c.env.DB), c.var.tenant, name, tool.tool_id, secret);
	forgetTenantTools(c.var.tenant);
	return c.json({ name, secret });
}
