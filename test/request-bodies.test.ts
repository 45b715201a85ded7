import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { step } from "./fixtures/plans";
import { api, postJson, settle, startPlan } from "./fixtures/runs";

/** What `curl -d '<json>'` sends: the JSON, labelled as a form. */
function curlData(path: string, body: unknown) {
	return api(path, {
		method: "POST",
		headers: { "content-type": "application/x-www-form-urlencoded" },
		body: JSON.stringify(body),
	});
}

async function waitingRun(): Promise<string> {
	return startPlan({ goal: "hold", steps: [step(1, "wait", { ms: 60_000 })] });
}

describe("request bodies", () => {
	it.each([
		["/runs", { prompt: "15 plus 27" }],
		["/runs/RUN/cancel", { compensate: true }],
		["/runs/RUN/fork", { from_step: 1 }],
	])("refuse JSON sent to %s as a form with 415, never dropping it", async (path, body) => {
		const runId = await waitingRun();
		const res = await curlData(path.replace("RUN", runId), body);
		expect(res.status).toBe(415);
		expect(await res.json()).toMatchObject({
			error: {
				code: "unsupported_media_type",
				message: expect.stringContaining("Content-Type: application/json"),
			},
		});
		// The run was left alone: no cancel without its compensation.
		const view = (await (await api(`/runs/${runId}`)).json()) as { status: string };
		expect(view.status).not.toBe("cancelling");
	});

	it("take a body-less control call, and JSON with a charset", async () => {
		const runId = await waitingRun();
		const cancelled = await api(`/runs/${runId}/cancel`, { method: "POST" });
		expect(cancelled.status).toBe(200);
		const created = await api("/runs", {
			method: "POST",
			headers: { "content-type": "application/json; charset=utf-8" },
			body: JSON.stringify({ prompt: "15 plus 27" }),
		});
		expect(created.status).toBe(201);
		await settle(runId);
	});

	it("say which of prompt and plan is missing or doubled", async () => {
		const neither = await postJson("/runs", {});
		expect(await neither.json()).toMatchObject({
			error: { code: "invalid_request", message: expect.stringContaining("neither was given") },
		});
		const both = await postJson("/runs", {
			prompt: "15 plus 27",
			plan: { goal: "g", steps: [step(1, "calculator", { expression: "1" })] },
		});
		expect(await both.json()).toMatchObject({
			error: { message: expect.stringContaining("not both") },
		});
	});
});

describe("control calls", () => {
	it("answer 404 step_not_found for a step that is not in the plan", async () => {
		const runId = await waitingRun();
		const res = await api(`/runs/${runId}/steps/7/approve`, { method: "POST" });
		expect(res.status).toBe(404);
		expect(await res.json()).toMatchObject({ error: { code: "step_not_found" } });
		await api(`/runs/${runId}/cancel`, { method: "POST" });
		await settle(runId);
	});

	it("answer 404 run_not_found for a run that does not exist", async () => {
		const never = env.RUNS.newUniqueId().toString();
		const res = await api(`/runs/${never}/steps/1/approve`, { method: "POST" });
		expect(res.status).toBe(404);
		expect(await res.json()).toMatchObject({ error: { code: "run_not_found" } });
	});
});

describe("validation messages", () => {
	it("name unknown fields, the expected date format, and a window that ends before it starts", async () => {
		const unknown = await postJson("/runs", { prompt: "15 plus 27", colour: "blue" });
		expect(await unknown.json()).toMatchObject({
			error: { message: expect.stringContaining("Unknown field: colour") },
		});
		const date = await api("/stats?since=yesterday");
		expect(await date.json()).toMatchObject({
			error: { code: "invalid_request", message: expect.stringContaining("ISO 8601") },
		});
		const backwards = await api("/stats?since=2027-01-01&until=2026-01-01");
		expect(backwards.status).toBe(400);
		expect(await backwards.json()).toMatchObject({
			error: { message: expect.stringContaining("since must be before until") },
		});
	});
});
