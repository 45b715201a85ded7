import { describe, expect, it } from "vitest";
import { type SeedRun, seedArchive } from "./fixtures/archive-seed";
import { api } from "./fixtures/runs";

const day = (n: number) => `2020-01-0${n}T00:00:00.000Z`;

// Figures below are worked out by hand from these five runs.
const runs: SeedRun[] = [
	{
		run_id: "a",
		created_at: day(1),
		prompt: "a",
		steps: [{ tool: "calculator", duration_ms: 10 }],
		duration_ms: 100,
	},
	{
		run_id: "b",
		created_at: day(2),
		prompt: "b",
		steps: [
			{ tool: "calculator", duration_ms: 20, retries: [{ code: "timeout", message: "slow" }] },
		],
		duration_ms: 200,
	},
	{
		run_id: "c",
		created_at: day(3),
		prompt: "c",
		planner: "llm",
		steps: [
			{ tool: "todo.add", duration_ms: 30, error: { code: "todo_not_found", message: "No todo" } },
		],
		duration_ms: 300,
	},
	{
		run_id: "d",
		created_at: day(4),
		prompt: "d",
		steps: [
			{ tool: "todo.add", duration_ms: 40 },
			{ tool: "calculator", duration_ms: 50 },
		],
		duration_ms: 400,
	},
	{ run_id: "e", created_at: day(5), prompt: "e", steps: [{ tool: "calculator" }] },
];

const NOTHING_SPENT = {
	llm_tokens: 0,
	cost_usd: 0,
	agent_runs: 0,
	agent_rounds: 0,
	budget_exceeded: 0,
};

// Run c was planned "llm" with no model call recorded: one LLM run, no tokens, no latency.
const ONE_LLM_RUN_WITHOUT_CALLS = {
	runs: 1,
	fallback_rate: 0,
	cache_hits: 0,
	tokens: { prompt: 0, completion: 0, total: 0 },
	latency_ms: { p50: null, p95: null, p99: null },
};

async function stats(query = "") {
	const res = await api(`/stats${query}`);
	expect(res.status).toBe(200);
	return res.json();
}

describe("stats", () => {
	it("matches hand-computed figures", async () => {
		await seedArchive(runs);
		expect(await stats()).toEqual({
			since: null,
			until: null,
			runs: { total: 5, by_status: { completed: 3, failed: 1, running: 1 }, success_rate: 0.75 },
			// Nearest rank over 100, 200, 300, 400: ceil(0.5*4)=2nd, ceil(0.95*4)=4th, ceil(0.99*4)=4th.
			duration_ms: { p50: 200, p95: 400, p99: 400 },
			tools: [
				// Attempts 1+2+1+0; one retry; durations 10, 20, 50 (e never ran).
				{
					tool: "calculator",
					executions: 4,
					failures: 0,
					retries: 1,
					duration_ms: { p50: 20, p95: 50 },
				},
				{
					tool: "todo.add",
					executions: 2,
					failures: 1,
					retries: 0,
					duration_ms: { p50: 30, p95: 40 },
				},
			],
			top_errors: [
				{ code: "todo_not_found", message: "No todo", count: 1 },
				{ code: "timeout", message: "slow", count: 1 },
			],
			planners: [
				{ planner: "rules", runs: 4 },
				{ planner: "llm", runs: 1 },
			],
			llm: ONE_LLM_RUN_WITHOUT_CALLS,
			spend: NOTHING_SPENT,
		});
	});

	it("restricts every figure to runs created in [since, until)", async () => {
		await seedArchive(runs);
		expect(await stats("?since=2020-01-02&until=2020-01-04")).toEqual({
			since: "2020-01-02T00:00:00.000Z",
			until: "2020-01-04T00:00:00.000Z",
			runs: { total: 2, by_status: { completed: 1, failed: 1 }, success_rate: 0.5 },
			duration_ms: { p50: 200, p95: 300, p99: 300 },
			tools: [
				{
					tool: "calculator",
					executions: 2,
					failures: 0,
					retries: 1,
					duration_ms: { p50: 20, p95: 20 },
				},
				{
					tool: "todo.add",
					executions: 1,
					failures: 1,
					retries: 0,
					duration_ms: { p50: 30, p95: 30 },
				},
			],
			top_errors: [
				{ code: "todo_not_found", message: "No todo", count: 1 },
				{ code: "timeout", message: "slow", count: 1 },
			],
			planners: [
				{ planner: "llm", runs: 1 },
				{ planner: "rules", runs: 1 },
			],
			llm: ONE_LLM_RUN_WITHOUT_CALLS,
			spend: NOTHING_SPENT,
		});
	});

	it("answers an empty window with zeros and nulls", async () => {
		expect(await stats("?since=1999-01-01&until=1999-01-02")).toMatchObject({
			runs: { total: 0, by_status: {}, success_rate: null },
			duration_ms: { p50: null, p95: null, p99: null },
			tools: [],
			top_errors: [],
			planners: [],
		});
	});

	it("rejects bad bounds with a 400 naming them", async () => {
		for (const [query, name] of [
			["?since=soon", "since"],
			["?until=2020-02-30T99:00", "until"],
			["?from=2020-01-01", "query"],
		]) {
			const res = await api(`/stats${query}`);
			expect(res.status).toBe(400);
			expect(((await res.json()) as { error: { message: string } }).error.message).toContain(name);
		}
	});
});
