import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import packageJson from "../../package.json";
import { checkUrl } from "../engine/tools/http-request";
import { type McpCallResult, McpUnavailable } from "../engine/tools/tenant/mcp-tool";

/** A remote MCP server (Streamable HTTP), as the tenant registered it. */
export interface McpEndpoint {
	url: string;
	headers: Record<string, string>;
	allowlist: readonly string[];
	timeoutMs: number;
	signal?: AbortSignal;
}

export interface ListedTool {
	name: string;
	description?: string;
	inputSchema: Record<string, unknown>;
	annotations?: { readOnlyHint?: boolean; destructiveHint?: boolean };
}

/**
 * A fetch that goes through the same guard as http.request on every request the SDK makes
 * (allowlist, private addresses only if listed exactly, no redirects).
 */
function guardedFetch(allowlist: readonly string[]): typeof fetch {
	return async (input, init) => {
		const url = new URL(input instanceof Request ? input.url : String(input));
		const refusal = checkUrl(url, allowlist);
		if (refusal) throw new McpUnavailable("host_not_allowed", refusal, false);
		return fetch(input, { ...init, redirect: "manual" });
	};
}

/** Opens a session, runs `work`, closes the session whatever happens. */
async function withClient<T>(
	endpoint: McpEndpoint,
	work: (client: Client) => Promise<T>,
): Promise<T> {
	const client = new Client(
		{ name: packageJson.name, version: packageJson.version },
		{ jsonSchemaValidator: new CfWorkerJsonSchemaValidator() },
	);
	const transport = new StreamableHTTPClientTransport(new URL(endpoint.url), {
		requestInit: { headers: endpoint.headers },
		fetch: guardedFetch(endpoint.allowlist),
	});
	const options = {
		timeout: endpoint.timeoutMs,
		...(endpoint.signal ? { signal: endpoint.signal } : {}),
	};
	try {
		await client.connect(transport, options);
		return await work(client);
	} finally {
		await client.close().catch(() => undefined);
	}
}

/** `tools/list`, every page. */
export function listMcpTools(endpoint: McpEndpoint): Promise<ListedTool[]> {
	return withClient(endpoint, async (client) => {
		const tools: ListedTool[] = [];
		let cursor: string | undefined;
		do {
			const page = await client.listTools(cursor ? { cursor } : {}, {
				timeout: endpoint.timeoutMs,
			});
			tools.push(...(page.tools as ListedTool[]));
			cursor = page.nextCursor;
		} while (cursor && tools.length < 1_000);
		return tools;
	});
}

/** `tools/call` of one tool. */
export function callMcpTool(
	endpoint: McpEndpoint,
	tool: string,
	args: Record<string, unknown>,
): Promise<McpCallResult> {
	return withClient(endpoint, async (client) => {
		const options = {
			timeout: endpoint.timeoutMs,
			...(endpoint.signal ? { signal: endpoint.signal } : {}),
		};
		return (await client.callTool(
			{ name: tool, arguments: args },
			undefined,
			options,
		)) as McpCallResult;
	});
}
