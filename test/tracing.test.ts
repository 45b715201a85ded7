import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, it, vi } from "vitest";
import {
	boundTracestate,
	childSpan,
	formatTraceparent,
	parseTraceparent,
	requestSpan,
} from "../src/engine/trace";
import { createApp } from "../src/worker/app";
import { archiveRuns } from "../src/worker/queue/run-archive";
import { step } from "./fixtures/plans";
import { api, settle } from "./fixtures/runs";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER = "00f067aa0ba902b7";
const stub = new URL(inject("llmStubUrl"));

describe("trace context", () => {
	it("reads a valid traceparent and refuses malformed ones", () => {
		expect(parseTraceparent(`00-${TRACE}-${CALLER}-01`)).toEqual({
			trace_id: TRACE,
			parent_id: CALLER,
			sampled: true,
		});
		for (const bad of [
			undefined,
			"",
			"garbage",
			`00-${TRACE.toUpperCase()}-${CALLER}-01`,
			`00-${"0".repeat(32)}-${CALLER}-01`,
			`00-${TRACE}-${"0".repeat(16)}-01`,
			`ff-${TRACE}-${CALLER}-01`,
			`00-${TRACE}-${CALLER}-01-extra`,
		]) {
			expect(parseTraceparent(bad)).toBeUndefined();
		}
		expect(parseTraceparent(`01-${TRACE}-${CALLER}-00-future`)?.sampled).toBe(false);
	});

	it("bounds tracestate and derives child spans from what they are", () => {
		expect(boundTracestate("a=1,b=2")).toBe("a=1,b=2");
		expect(boundTracestate("x".repeat(600))).toBeUndefined();
		const root = requestSpan(undefined, (bytes) => "ab".repeat(bytes));
		expect(root).toEqual({
			trace_id: "ab".repeat(16),
			span_id: "ab".repeat(8),
			parent_span_id: null,
			sampled: true,
		});
		const child = childSpan(root, "run", "r1");
		expect(child).toMatchObject({ trace_id: root.trace_id, parent_span_id: root.span_id });
		expect(child.span_id).toMatch(/^[0-9a-f]{16}$/);
		expect(childSpan(root, "run", "r1")).toEqual(child);
		expect(childSpan(root, "run", "r2").span_id).not.toBe(child.span_id);
		const hex = (bytes: number) => "cd".repeat(bytes);
		expect(requestSpan(undefined, hex, 0.1, () => 0.5).sampled).toBe(false);
		expect(requestSpan(undefined, hex, 0.1, () => 0.05).sampled).toBe(true);
		const unsampledCaller = parseTraceparent(`00-${TRACE}-${CALLER}-00`);
		expect(requestSpan(unsampledCaller, hex, 1, () => 0).sampled).toBe(false);
	});
});

describe("a traced request", () => {
	it("carries its trace through the run, D1, the queue and the outgoing call, each hop its own span", async () => {
		const logged = vi.spyOn(console, "log");
		const sent = vi.spyOn(env.TOOL_QUEUE, "send");
		const app = createApp();
		const ctx = createExecutionContext();
		const res = await app.fetch(
			new Request("http://runtime.test/runs", {
				method: "POST",
				headers: { "content-type": "application/json", traceparent: `00-${TRACE}-${CALLER}-01` },
				body: JSON.stringify({
					plan: {
						goal: "traced",
						steps: [step(1, "http.request", { url: `http://${stub.host}/__echo` })],
					},
				}),
			}),
			{ ...env, LOG_LEVEL: "info" },
			ctx,
		);
		await waitOnExecutionContext(ctx);
		expect(res.status).toBe(201);
		const answered = parseTraceparent(res.headers.get("traceparent"));
		expect(answered).toMatchObject({ trace_id: TRACE });
		expect(answered?.parent_id).not.toBe(CALLER);
		expect(res.headers.get("x-trace-id")).toBe(TRACE);
		const request = JSON.parse(String(logged.mock.calls.at(-1)?.[0]));
		expect(request).toMatchObject({
			message: "request",
			trace_id: TRACE,
			span_id: answered?.parent_id,
		});
		logged.mockRestore();

		const { run_id: runId } = (await res.json()) as { run_id: string };
		const run = await settle(runId);
		expect(run.trace_id).toBe(TRACE);
		const row = await env.DB.prepare("SELECT trace_id FROM runs WHERE run_id = ?")
			.bind(runId)
			.first();
		expect(row).toEqual({ trace_id: TRACE });
		const found = (await (await api(`/runs?trace_id=${TRACE}`)).json()) as {
			runs: Array<{ run_id: string }>;
		};
		expect(found.runs.map((listed) => listed.run_id)).toEqual([runId]);

		// request → run → attempt → delivery → http: each span the child of the one before.
		const requestHop = { trace_id: TRACE, span_id: answered?.parent_id ?? "", sampled: true };
		const runSpan = childSpan(requestHop, "run", runId);
		const attempt = childSpan(runSpan, "step", 1, "attempt", 1);
		const delivery = childSpan(attempt, "delivery", 1);
		const echoed = JSON.parse((run.result as { body: string }).body) as {
			headers: Record<string, string>;
		};
		expect(echoed.headers.traceparent).toBe(formatTraceparent(childSpan(delivery, "http")));
		const message = sent.mock.calls
			.map(([body]) => body as { run_id?: string; traceparent?: string })
			.find((body) => body.run_id === runId);
		expect(message?.traceparent).toBe(formatTraceparent(attempt));
		sent.mockRestore();
	});

	it("sends the model call the request's trace, as its plan span", async () => {
		const task = "plan this traced task #case=plain";
		const res = await api("/runs", {
			method: "POST",
			headers: { "content-type": "application/json", traceparent: `00-${TRACE}-${CALLER}-01` },
			body: JSON.stringify({ prompt: task, planner: "llm", cache: false }),
		});
		expect(res.status).toBe(201);
		const requestSpanId = parseTraceparent(res.headers.get("traceparent"))?.parent_id ?? "";
		const sent = (await (await fetch(`${stub.origin}/__requests`)).json()) as Array<{
			traceparent: string | null;
			body: { messages: Array<{ content: string }> };
		}>;
		const call = sent.findLast((request) =>
			request.body.messages.some((message) => message.content.includes("plan this traced task")),
		);
		const planSpan = childSpan({ trace_id: TRACE, span_id: requestSpanId, sampled: true }, "plan");
		expect(call?.traceparent).toBe(formatTraceparent(planSpan));
	});

	it("starts a new trace for a malformed traceparent, never an error", async () => {
		const res = await api("/health", { headers: { traceparent: "00-not-a-trace" } });
		expect(res.status).toBe(200);
		const answered = parseTraceparent(res.headers.get("traceparent"));
		expect(answered?.trace_id).toMatch(/^[0-9a-f]{32}$/);
		expect(res.headers.get("x-trace-id")).toBe(answered?.trace_id);
	});
});

describe("a run's trace tree", () => {
	it("has the run's span with one child per attempt, their durations read off the event log", async () => {
		const res = await api("/runs", {
			method: "POST",
			headers: { "content-type": "application/json", traceparent: `00-${TRACE}-${CALLER}-01` },
			body: JSON.stringify({
				plan: {
					goal: "two steps, one retried",
					steps: [
						step(1, "calculator", { expression: "1+1" }),
						step(2, "chaos", { behaviours: [{ fail: "retryable" }, {}] }, [1]),
					],
				},
				policy: { base_delay_ms: 0 },
			}),
		});
		const { run_id: runId } = (await res.json()) as { run_id: string };
		await settle(runId);
		const events = (await (await api(`/runs/${runId}/events`)).json()) as {
			events: Array<{ type: string; at: string; data: { step?: number; attempt?: number } }>;
		};
		const tree = (await (await api(`/runs/${runId}/trace`)).json()) as {
			trace_id: string;
			spans: Array<{
				name: string;
				span_id: string;
				duration_ms: number;
				status: string;
				children: Array<{
					name: string;
					parent_span_id: string;
					duration_ms: number;
					status: string;
					attributes: Record<string, string | number>;
				}>;
			}>;
		};
		expect(tree.trace_id).toBe(TRACE);
		const [run] = tree.spans;
		const at = (type: string, step?: number, attempt?: number) =>
			Date.parse(
				events.events.find(
					(event) =>
						event.type === type &&
						(step === undefined || event.data.step === step) &&
						(attempt === undefined || event.data.attempt === attempt),
				)?.at ?? "",
			);
		expect(run).toMatchObject({ name: "run", status: "ok" });
		expect(run?.duration_ms).toBe(at("run_completed") - at("run_created"));
		expect(
			run?.children.map((child) => [child.name, child.status, child.attributes.outcome]),
		).toEqual([
			["step 1 attempt 1", "ok", "succeeded"],
			["step 2 attempt 1", "error", "chaos"],
			["step 2 attempt 2", "ok", "succeeded"],
		]);
		expect(run?.children.every((child) => child.parent_span_id === run.span_id)).toBe(true);
		expect(run?.children[1]?.duration_ms).toBe(
			at("step_retry_scheduled", 2, 1) - at("step_started", 2, 1),
		);
	});
});

describe("span records", () => {
	it("log the plan and the archive of a traced run as spans of its trace", async () => {
		const logged = vi.spyOn(console, "log");
		const app = createApp();
		const verbose = { ...env, LOG_LEVEL: "info" };
		const ctx = createExecutionContext();
		const res = await app.fetch(
			new Request("http://runtime.test/runs", {
				method: "POST",
				headers: { "content-type": "application/json", traceparent: `00-${TRACE}-${CALLER}-01` },
				body: JSON.stringify({ prompt: "15 plus 27" }),
			}),
			verbose,
			ctx,
		);
		await waitOnExecutionContext(ctx);
		const { run_id: runId } = (await res.json()) as { run_id: string };
		const requestSpanId = parseTraceparent(res.headers.get("traceparent"))?.parent_id ?? "";
		await settle(runId);
		await archiveRuns(verbose, [{ run_id: runId, tenant: "default" }]);
		const spans = logged.mock.calls
			.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>)
			.filter((line) => line.message === "span" && line.trace_id === TRACE);
		logged.mockRestore();
		const plan = spans.find((line) => line.span === "plan");
		expect(plan).toMatchObject({
			parent_span_id: requestSpanId,
			status: "ok",
			attributes: { planner: "rules", steps: 1 },
		});
		expect(plan?.duration_ms).toEqual(expect.any(Number));
		const runSpan = childSpan(
			{ trace_id: TRACE, span_id: requestSpanId, sampled: true },
			"run",
			runId,
		);
		expect(spans.find((line) => line.span === "archive")).toMatchObject({
			parent_span_id: runSpan.span_id,
			status: "ok",
		});
	});
});
