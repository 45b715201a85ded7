#!/usr/bin/env node
// An OpenAI-compatible chat completions server that replays scripted answers. The tests start it
// in their global setup; `node scripts/llm-stub.mjs --port 8788` runs it for `npm start` demos.
// A task containing "#case=<name>", or text registered with POST /__script, gets that case's
// script (or the script's own `steps`); any other task gets a plain plan. GET /__requests lists
// what it was sent.
import http from "node:http";
import { pathToFileURL } from "node:url";

const plan = (steps, goal = "stub plan") => JSON.stringify({ goal, steps });
const step = (n, tool, input, depends_on = []) => ({
	step_number: n,
	tool,
	input_json: typeof input === "string" ? input : JSON.stringify(input),
	reasoning: `stub step ${n}`,
	depends_on,
});

// A step as JSON-mode models often write it: the input as an object, not a JSON-encoded string.
const objectStep = (n, tool, input, depends_on = []) => ({
	step_number: n,
	tool,
	input,
	reasoning: `stub step ${n}`,
	depends_on,
});

/** Each case: (round, body) => { status?, delayMs?, content?, toolCall?, error? }. Round 0 is the first call. */
const CASES = {
	valid: () => ({ content: plan([step(1, "calculator", { expression: "2+3" })]) }),
	unknown_tool: () => ({ content: plan([step(1, "shell.exec", { cmd: "ls" })]) }),
	unregistered: () => ({ content: plan([step(1, "filesystem.delete", { path: "/" })]) }),
	malformed: () => ({ content: "{not json" }),
	repair: (round) => ({
		content:
			round === 0
				? plan([step(1, "calculator", { expression: 5 })])
				: plan([step(1, "calculator", { expression: "6*7" })]),
	}),
	timeout: () => ({ delayMs: 3_000, content: plan([step(1, "calculator", { expression: "1" })]) }),
	rate_limited: () => ({ status: 429, error: "Rate limit reached" }),
	server_error: () => ({ status: 500, error: "The server had an error" }),
	inject: () => ({
		content: plan([
			step(1, "todo.list", { status: "all" }),
			step(2, "todo.delete", { title: "keep this todo" }, [1]),
		]),
	}),
	many_steps: () => ({
		content: plan(
			Array.from({ length: 500 }, (_, index) => step(index + 1, "calculator", { expression: "1" })),
		),
	}),
	cycle: () => ({
		content: plan([
			step(1, "calculator", { expression: "1" }, [2]),
			step(2, "calculator", { expression: "2" }, [1]),
		]),
	}),
	huge: () => ({ content: plan([step(1, "todo.add", { title: "x".repeat(1024 * 1024) })]) }),
	proto: () => ({
		content: plan([step(1, "calculator", '{"expression":"1","__proto__":{"polluted":true}}')]),
	}),
	no_schema: (_round, body) =>
		body.response_format?.type === "json_schema"
			? { status: 400, error: "response_format json_schema is not supported by this server" }
			: { content: plan([step(1, "calculator", { expression: "7*6" })]) },
	input_objects: (_round, body) =>
		body.response_format?.type === "json_schema"
			? { status: 400, error: "response_format json_schema is not supported by this server" }
			: {
					content: plan([
						objectStep(1, "calculator", { expression: "6*7" }),
						objectStep(
							2,
							"calculator",
							{ expression: "x + 1", variables: { x: { $ref: "steps.1.output" } } },
							[1],
						),
					]),
				},
	tools_only: (_round, body) =>
		body.response_format
			? { status: 400, error: "response_format is not supported" }
			: { toolCall: plan([step(1, "calculator", { expression: "9*9" })]) },
};

function defaultCase(fencedTask, body) {
	const system = body?.messages?.find((message) => message.role === "system")?.content ?? "";
	// An agent run's later round: the stub always judges the goal met.
	if (system.includes("This run is an agent")) {
		return () => ({
			content: JSON.stringify({ done: true, reason: "stub: the goal is met", steps: [] }),
		});
	}
	// An llm.generate step: JSON when a schema is asked for (an empty object), else a sentence.
	if (system.includes("You carry out one step")) {
		return () => ({ content: body.response_format || body.tools ? "{}" : "stub answer" });
	}
	const task = fencedTask.replace(/<\/?user_task>/g, "").trim();
	const expression = task.match(/[\d(][\d\s+\-*/().^]*[+\-*/^][\d\s+\-*/().^]*[\d)]/)?.[0];
	return () => ({
		content: expression
			? plan([step(1, "calculator", { expression: expression.trim() })], task)
			: plan([step(1, "todo.list", { status: "all" })], task),
	});
}

export function startLlmStub({ port = 0, host = "127.0.0.1" } = {}) {
	const requests = [];
	// POST /__script {"contains": "...", "case": "..."}: tasks containing the text get that case.
	const scripts = [];
	const server = http.createServer((req, res) => {
		const chunks = [];
		req.on("data", (chunk) => chunks.push(chunk));
		req.on("end", () => {
			if (req.url === "/__requests") return send(res, 200, requests);
			// GET /__status/503: a downstream that answers with that status (http.request tests).
			const status = /^\/__status\/(\d{3})$/.exec(req.url ?? "");
			if (status) return send(res, Number(status[1]), { status: Number(status[1]) });
			// GET /__echo: what the request carried (http.request header tests).
			if (req.url === "/__echo")
				return send(res, 200, { method: req.method, headers: req.headers });
			if (req.url === "/__script") {
				scripts.push(JSON.parse(Buffer.concat(chunks).toString("utf8")));
				return send(res, 200, {});
			}
			if (req.method !== "POST" || !req.url?.endsWith("/chat/completions"))
				return send(res, 404, { error: { message: "not found" } });
			const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
			const task = body.messages?.find((message) => message.role === "user")?.content ?? "";
			const scripted = scripts.findLast((script) => task.includes(script.contains));
			const name = task.match(/#case=([a-z_]+)/)?.[1] ?? scripted?.case;
			const round = body.messages.filter((message) => message.role === "user").length - 1;
			requests.push({
				case: name ?? null,
				round,
				body,
				traceparent: req.headers.traceparent ?? null,
			});
			// A script may carry its own steps: { contains, steps: [{ tool, input, depends_on? }] }.
			const ownPlan = scripted?.steps
				? () => ({
						content: plan(
							scripted.steps.map((s, index) => step(index + 1, s.tool, s.input, s.depends_on)),
						),
					})
				: undefined;
			// Or a sequence: { contains, answers: [...] }, one answer per call (the last one repeats),
			// each a JSON value sent as the model's content, for agent rounds and llm.generate.
			const sequence = scripted?.answers
				? () => {
						const answer =
							scripted.answers.length > 1 ? scripted.answers.shift() : scripted.answers[0];
						return { content: typeof answer === "string" ? answer : JSON.stringify(answer) };
					}
				: undefined;
			const script = (name && CASES[name]) || ownPlan || sequence || defaultCase(task, body);
			const answer = script(round, body);
			setTimeout(() => reply(res, body, answer), answer.delayMs ?? 0);
		});
	});
	return new Promise((resolve) => {
		server.listen(port, host, () => {
			const address = server.address();
			resolve({
				url: `http://${host}:${address.port}/v1`,
				close: () => new Promise((done) => server.close(() => done())),
			});
		});
	});
}

function reply(res, body, answer) {
	if (answer.error)
		return send(res, answer.status ?? 500, {
			error: { message: answer.error, type: "stub_error" },
		});
	const message = answer.toolCall
		? {
				role: "assistant",
				content: null,
				tool_calls: [
					{
						id: "call_1",
						type: "function",
						function: { name: "submit_plan", arguments: answer.toolCall },
					},
				],
			}
		: { role: "assistant", content: answer.content };
	send(res, 200, {
		id: "chatcmpl-stub",
		object: "chat.completion",
		created: Math.floor(Date.now() / 1000),
		model: body.model,
		choices: [{ index: 0, message, finish_reason: answer.toolCall ? "tool_calls" : "stop" }],
		usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
	});
}

function send(res, status, payload) {
	if (res.destroyed) return;
	res.writeHead(status, { "content-type": "application/json" });
	res.end(JSON.stringify(payload));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
	const portFlag = process.argv.indexOf("--port");
	const port = portFlag === -1 ? 8788 : Number(process.argv[portFlag + 1]);
	const stub = await startLlmStub({ port });
	console.log(`OpenAI-compatible stub on ${stub.url}`);
}
