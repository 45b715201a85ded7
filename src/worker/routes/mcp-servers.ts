import { Hono } from "hono";
import { McpServerBody } from "../../engine/tools/tenant/definition";
import type { AppEnv } from "../app-env";
import { doc } from "../openapi/describe";
import {
	DeletedSchema,
	McpServerSchema,
	McpServersSchema,
	McpSyncSchema,
} from "../openapi/schemas";
import {
	listServers,
	readServer,
	refreshMcpServer,
	registerMcpServer,
	removeServer,
} from "../tools/mcp-servers";
import { validate } from "../validate";

const tags = ["Tools"];
const server = { status: 200, description: "The server", schema: McpServerSchema };
const sync = { status: 200, description: "The server's tools as listed", schema: McpSyncSchema };

/** Remote MCP servers (Streamable HTTP) as sources of tools, each exposed as mcp.<server>.<tool>. */
export const mcpServers = new Hono<AppEnv>()
	.post(
		"/",
		doc({
			summary: "Register an MCP server: its tools are listed at once and become yours",
			tags,
			write: true,
			ok: { ...sync, status: 201 },
			errors: ["tool_exists", "mcp_unusable"],
		}),
		validate("json", McpServerBody),
		(c) => registerMcpServer(c, c.req.valid("json")),
	)
	.get(
		"/",
		doc({
			summary: "Your MCP servers",
			tags,
			ok: { status: 200, description: "Every server", schema: McpServersSchema },
		}),
		(c) => listServers(c),
	)
	.get(
		"/:name",
		doc({ summary: "One MCP server", tags, ok: server, errors: ["tool_not_found"] }),
		(c) => readServer(c, c.req.param("name")),
	)
	.delete(
		"/:name",
		doc({
			summary: "Remove an MCP server and its tools",
			tags,
			write: true,
			ok: { status: 200, description: "Removed", schema: DeletedSchema },
			errors: ["tool_not_found"],
		}),
		(c) => removeServer(c, c.req.param("name")),
	)
	.post(
		"/:name/refresh",
		doc({
			summary: "List the server's tools again (changed ones get a new version)",
			tags,
			write: true,
			ok: sync,
			errors: ["tool_not_found", "mcp_unusable"],
		}),
		(c) => refreshMcpServer(c, c.req.param("name")),
	);
