import type { Json } from "../../json";
import { checkUrl } from "../http-request";
import { fail, succeed, type Tool } from "../types";
import type { McpToolDefinition } from "./definition";
import { tenantToolBase } from "./tool-base";

/** What a `tools/call` answered, as far as the runtime reads it. */
export interface McpCallResult {
	isError?: boolean;
	structuredContent?: Record<string, unknown>;
	content?: Array<{ type: string; text?: string } & Record<string, unknown>>;
}

/** A tool of a tenant's MCP server as a Tool: `tools/call` through the MCP port. */
export function mcpTool(definition: McpToolDefinition): Tool {
	return {
		...tenantToolBase(definition, definition.server_url),
		preview: () => `tools/call ${definition.tool} on ${definition.server}`,
		async execute(input, ctx) {
			const refusal = checkUrl(new URL(definition.server_url), ctx.services.http.allowlist);
			if (refusal) return fail("host_not_allowed", refusal);
			const port = ctx.services.tenantTools;
			if (!port) return fail("tool_not_found", "MCP tools are not available here");
			let result: McpCallResult;
			try {
				result = await port.callMcp(definition, input as Record<string, Json>, ctx);
			} catch (error) {
				if (error instanceof McpUnavailable)
					return fail(error.code, error.message, error.retryable);
				return fail("mcp_unreachable", `${definition.server} failed: ${String(error)}`, true);
			}
			const text = (result.content ?? [])
				.filter((part) => part.type === "text" && typeof part.text === "string")
				.map((part) => part.text)
				.join("\n");
			if (result.isError) {
				return fail("tool_rejected", `${definition.name}: ${text.slice(0, 500) || "failed"}`);
			}
			if (result.structuredContent) return succeed(result.structuredContent as Json);
			return succeed({ text, content: (result.content ?? []) as Json });
		},
	};
}

/** A refusal of the MCP port itself (a deleted server, an unparseable answer), with its code. */
export class McpUnavailable extends Error {
	constructor(
		readonly code: string,
		message: string,
		readonly retryable: boolean,
	) {
		super(message);
	}
}
