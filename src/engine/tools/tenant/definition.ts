import { z } from "zod";
import type { JsonSchema } from "./json-schema";

/** First name segments that belong to the runtime: a tenant's tool can never shadow a built-in. */
export const RESERVED_PREFIXES = ["calculator", "todo", "wait", "http", "chaos", "mcp", "llm"];
export const MAX_TOOL_DESCRIPTION = 1_000;
export const DEFAULT_TOOL_TIMEOUT_MS = 10_000;

/** `acme.lookup_order`: a namespace and a name, lower case, 64 characters at most. */
export const TenantToolName = z
	.string()
	.max(64)
	.regex(
		/^[a-z][a-z0-9_-]{0,30}\.[a-z][a-z0-9_.-]{0,62}$/,
		"A tool name is <namespace>.<name>: lower-case letters, digits, _ and -, e.g. acme.lookup_order",
	)
	.refine((name) => !RESERVED_PREFIXES.includes(name.split(".")[0] ?? ""), {
		message: `The namespace is reserved for built-in tools (${RESERVED_PREFIXES.join(", ")})`,
	});

/** An MCP server's name: it becomes the middle of `mcp.<server>.<tool>`. */
export const McpServerName = z
	.string()
	.regex(
		/^[a-z][a-z0-9_-]{0,30}$/,
		"A server name is lower-case letters, digits, _ and -, up to 31",
	);

const Url = z
	.url({ protocol: /^https?$/, error: "An http or https URL" })
	.max(2_048)
	.refine((url) => {
		const { username, password } = new URL(url);
		return username === "" && password === "";
	}, "No credentials in the URL: they would be stored and shown; use headers (MCP) or the signature");

/** What a tenant sends to register (or replace) an HTTP tool. Schemas are checked apart. */
export const HttpToolBody = z
	.object({
		name: TenantToolName,
		description: z.string().trim().min(1).max(MAX_TOOL_DESCRIPTION),
		input_schema: z.record(z.string(), z.json()),
		output_schema: z.record(z.string(), z.json()).optional(),
		url: Url,
		method: z.literal("POST").default("POST"),
		timeout_ms: z.number().int().min(100).max(60_000).default(DEFAULT_TOOL_TIMEOUT_MS),
		mutates: z.boolean().default(true),
		requires_approval: z.boolean().default(false),
		compensate: z.object({ url: Url }).strict().optional(),
		execution: z.enum(["queued", "inline"]).default("queued"),
	})
	.strict();
export type HttpToolBody = z.output<typeof HttpToolBody>;

export const McpServerBody = z
	.object({
		name: McpServerName,
		url: Url,
		headers: z.record(z.string().max(256), z.string().max(4_096)).optional(),
	})
	.strict();

/** An HTTP tool as a run records it: everything but its secret. */
export interface HttpToolDefinition extends Omit<HttpToolBody, "input_schema" | "output_schema"> {
	kind: "http";
	version: number;
	/** Kept by every version; a tool deleted and registered again gets a new one. */
	tool_id: string;
	input_schema: JsonSchema;
	output_schema?: JsonSchema;
}

/** One tool of an MCP server, as a run records it: everything but the server's headers. */
export interface McpToolDefinition {
	kind: "mcp";
	name: string;
	version: number;
	server: string;
	/** The server's registration; a server removed and registered again gets a new one. */
	server_id: string;
	server_url: string;
	tool: string;
	description: string;
	input_schema: JsonSchema;
	mutates: boolean;
	requires_approval: boolean;
	timeout_ms: number;
	execution: "queued" | "inline";
}

export type TenantToolDefinition = HttpToolDefinition | McpToolDefinition;

/**
 * MCP annotations onto the runtime's flags: read-only tools change nothing; anything else
 * mutates; a destructive one (the default when a tool says nothing, as the spec says) always
 * needs a person's approval.
 */
export function mcpFlags(annotations: { readOnlyHint?: boolean; destructiveHint?: boolean } = {}) {
	const readOnly = annotations.readOnlyHint === true;
	const destructive = !readOnly && annotations.destructiveHint !== false;
	return { mutates: !readOnly, requires_approval: destructive };
}

/** `mcp.<server>.<tool>`, with the tool's name folded to what plans accept; undefined if it cannot be. */
export function mcpToolName(server: string, tool: string): string | undefined {
	const folded = tool.toLowerCase().replace(/[^a-z0-9_.-]/g, "_");
	const name = `mcp.${server}.${folded}`;
	return /^[a-z]/.test(folded) && name.length <= 64 ? name : undefined;
}

/** Whether a tool is a tenant's (its own namespace, or one of its MCP servers'). */
export function isTenantTool(name: string): boolean {
	const prefix = name.split(".")[0] ?? "";
	return prefix === "mcp" || !RESERVED_PREFIXES.includes(prefix);
}

/**
 * The name a tool's breaker and bulkhead go by: a tenant's tools are scoped by tenant, so one
 * tenant's failing tool never opens a breaker for another that has a tool of the same name.
 */
export function gateName(tenant: string, tool: string): string {
	return isTenantTool(tool) ? `${tenant}/${tool}` : tool;
}
