#!/usr/bin/env node
// A tenant's tools, for the tests: HTTP tool endpoints that record every call (headers, body)
// and answer as scripted, and an MCP server (the official SDK's, Streamable HTTP) with a
// read-only and a destructive tool. `node scripts/tool-stub.mjs --port 8789` serves it for demos.
//   POST /tools/<name>        an HTTP tool: answers the next scripted answer, else { echo: input }
//   POST /__script            { path, answers: [{ status, body?, raw?, delayMs? }] } for that path
//   GET  /__calls             every call so far: { path, headers, body }
//   POST /mcp                 the MCP server; /mcp-garbage answers nonsense, /mcp-hang never answers
import http from "node:http";
import { pathToFileURL } from "node:url";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

function mcpServer(calls) {
	const server = new McpServer({ name: "tool-stub", version: "1.0.0" });
	server.registerTool(
		"lookup_order",
		{
			description: "Looks up an order by its id",
			inputSchema: { order_id: z.string() },
			annotations: { readOnlyHint: true },
		},
		async ({ order_id }) => {
			calls.push({ path: "/mcp#lookup_order", body: { order_id } });
			return {
				content: [{ type: "text", text: `order ${order_id} shipped` }],
				structuredContent: { order_id, status: "shipped" },
			};
		},
	);
	server.registerTool(
		"Delete-Order",
		{
			description: "Deletes an order for good",
			inputSchema: { order_id: z.string() },
			annotations: { destructiveHint: true },
		},
		async ({ order_id }) => {
			calls.push({ path: "/mcp#delete_order", body: { order_id } });
			return { content: [{ type: "text", text: `order ${order_id} deleted` }] };
		},
	);
	server.registerTool(
		"refuse",
		{ description: "Always fails", inputSchema: {}, annotations: { readOnlyHint: true } },
		async () => ({ isError: true, content: [{ type: "text", text: "no such order" }] }),
	);
	return server;
}

const send = (res, status, body) => {
	res.writeHead(status, { "content-type": "application/json" });
	res.end(JSON.stringify(body));
};

export function startToolStub({ port = 0, host = "127.0.0.1" } = {}) {
	const calls = [];
	const scripts = new Map();
	const server = http.createServer((req, res) => {
		const chunks = [];
		req.on("data", (chunk) => chunks.push(chunk));
		req.on("end", async () => {
			const text = Buffer.concat(chunks).toString("utf8");
			const path = (req.url ?? "").split("?")[0];
			if (path === "/__calls") return send(res, 200, calls);
			if (path === "/__script") {
				const { path: target, answers } = JSON.parse(text);
				scripts.set(target, answers);
				return send(res, 200, {});
			}
			if (path === "/mcp-garbage") return res.end("<html>not an MCP server</html>");
			if (path === "/mcp-hang") return; // never answers
			if (path === "/mcp") {
				calls.push({ path: "/mcp", headers: req.headers });
				const mcp = mcpServer(calls);
				const transport = new StreamableHTTPServerTransport({
					sessionIdGenerator: undefined,
					enableJsonResponse: true,
				});
				res.on("close", () => {
					void transport.close();
					void mcp.close();
				});
				await mcp.connect(transport);
				return transport.handleRequest(req, res, text ? JSON.parse(text) : undefined);
			}
			let body = null;
			try {
				body = JSON.parse(text);
			} catch {
				body = text;
			}
			calls.push({ path, headers: req.headers, body, raw: text });
			const answer = scripts.get(path)?.shift() ?? {
				status: 200,
				body: { echo: body?.input ?? null },
			};
			setTimeout(() => {
				if (answer.raw !== undefined) {
					res.writeHead(answer.status ?? 200, { "content-type": "text/plain" });
					return res.end(answer.raw);
				}
				send(res, answer.status ?? 200, answer.body ?? {});
			}, answer.delayMs ?? 0);
		});
	});
	return new Promise((resolve) => {
		server.listen(port, host, () => {
			const address = server.address();
			resolve({
				url: `http://${host}:${address.port}`,
				close: () =>
					new Promise((done) => {
						server.closeAllConnections();
						server.close(() => done());
					}),
			});
		});
	});
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
	const at = process.argv.indexOf("--port");
	const stub = await startToolStub({ port: at > 0 ? Number(process.argv[at + 1]) : 8789 });
	console.log(`tool stub on ${stub.url}: POST /tools/<name>, MCP at /mcp`);
}
