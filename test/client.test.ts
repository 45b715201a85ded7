import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createFollowRead } from "../docs/examples/client";
import { createClient, followRun, type LiveMessage } from "../src/client";

// The typed client against the Worker in-process: the same calls as docs/examples/client.ts.
const api = createClient("http://runtime.test", {
	fetch: (input, init) => exports.default.fetch(new Request(input, init)),
});

describe("the typed client", () => {
	it("creates a run, follows it live to its end and reads the result", async () => {
		const created = await api.runs.$post({
			json: { prompt: "calculate 6*7 then add 1 to the result" },
		});
		expect(created.status).toBe(201);
		const run = await created.json();
		const stream = await api.runs[":id"].stream.$get({ param: { id: run.run_id }, query: {} });
		const messages: LiveMessage[] = [];
		for await (const message of followRun(stream)) messages.push(message);
		expect(messages[0]?.type).toBe("snapshot");
		expect(messages.at(-1)).toMatchObject({ type: "event", event: { type: "run_completed" } });
		const read = await api.runs[":id"].$get({ param: { id: run.run_id }, query: {} });
		const view = await read.json();
		expect(view.status).toBe("completed");
		expect(view.result).toBe(43);
	});

	it("runs the documented example, docs/examples/client.ts, to the end", async () => {
		const lines: string[] = [];
		const view = await createFollowRead(api, "calculate 2+3", (...parts) =>
			lines.push(parts.join(" ")),
		);
		expect(view.status).toBe("completed");
		expect(view.result).toBe(5);
		expect(lines.at(0)).toMatch(/^run [0-9a-f]{64}: 1 steps$/);
		expect(lines).toContain(`completed 5`);
		expect(lines.some((line) => line.endsWith("run_completed"))).toBe(true);
	});

	it("answers errors in the API's one shape, typed by status", async () => {
		const res = await api.runs.$post({ json: { prompt: "" } });
		expect(res.status).toBe(400);
		expect(await res.json()).toMatchObject({ error: { code: "invalid_request" } });
		const missing = await api.runs[":id"].$get({ param: { id: "0".repeat(64) }, query: {} });
		expect(missing.status).toBe(404);
	});

	it("fails clearly when following a run that cannot be followed", async () => {
		const res = await api.runs[":id"].stream.$get({ param: { id: "nope" }, query: {} });
		await expect(async () => {
			for await (const _ of followRun(res)) break;
		}).rejects.toThrow(/Cannot follow the run: 404/);
	});
});
