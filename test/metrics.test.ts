import { env } from "cloudflare:workers";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { describe, expect, it, vi } from "vitest";
import { step } from "./fixtures/plans";
import { api, settle, startPlan } from "./fixtures/runs";

interface Family {
	name: string;
	type: string;
	metrics: Array<{
		labels?: Record<string, string>;
		value?: string;
		buckets?: Record<string, string>;
	}>;
}

async function scrape(): Promise<Map<string, Family>> {
	const res = await api("/metrics");
	expect(res.status).toBe(200);
	expect(res.headers.get("content-type")).toContain("text/plain; version=0.0.4");
	const families = parsePrometheusTextFormat(await res.text()) as Family[];
	return new Map(families.map((family) => [family.name, family]));
}

const value = (families: Map<string, Family>, name: string, labels: Record<string, string>) =>
	Number(
		families
			.get(name)
			?.metrics.find((metric) =>
				Object.entries(labels).every(([key, label]) => metric.labels?.[key] === label),
			)?.value ?? 0,
	);

describe("GET /metrics", () => {
	it("parses as the Prometheus text format, and its counters move as runs run", async () => {
		const before = await scrape();
		expect(before.get("agent_runs_total")?.type).toBe("COUNTER");
		expect(before.get("agent_step_duration_ms")?.type).toBe("HISTOGRAM");
		expect(before.get("agent_breaker_open")?.type).toBe("GAUGE");
		const completed = value(before, "agent_runs_total", { status: "completed" });
		const calculator = value(before, "agent_step_attempts_total", { tool: "calculator" });

		for (const expression of ["1+1", "2+2"]) {
			await settle(
				await startPlan({ goal: "count", steps: [step(1, "calculator", { expression })] }),
			);
		}
		await settle(
			await startPlan({ goal: "fail", steps: [step(1, "calculator", { expression: "1/0" })] }),
		);

		const after = await scrape();
		expect(value(after, "agent_runs_total", { status: "completed" })).toBe(completed + 2);
		expect(value(after, "agent_step_attempts_total", { tool: "calculator" })).toBe(calculator + 3);
		expect(value(after, "agent_step_errors_total", { code: "math_error" })).toBeGreaterThanOrEqual(
			1,
		);
		// The parser keeps a histogram's buckets; the run histogram has no labels to lose.
		const runs = (families: Map<string, Family>) =>
			Number(families.get("agent_run_duration_ms")?.metrics[0]?.buckets?.["+Inf"] ?? 0);
		expect(runs(after)).toBe(runs(before) + 3);
	});

	it("never labels anything with a prompt or an input", async () => {
		await settle(
			await startPlan({
				goal: "secret goal",
				steps: [step(1, "todo.add", { title: "secret todo title" })],
			}),
		);
		const res = await api("/metrics");
		const text = await res.text();
		expect(text).not.toContain("secret");
	});
});

describe("Analytics Engine data points", () => {
	it("count each request by method, route pattern and status, the tenant as the index", async () => {
		const written = vi.spyOn(env.METRICS, "writeDataPoint");
		const runId = await startPlan({
			goal: "point",
			steps: [step(1, "calculator", { expression: "1" })],
		});
		await api(`/runs/${runId}`);
		const point = written.mock.calls
			.map(([data]) => data)
			.find((data) => data?.blobs?.[2] === "/runs/:id");
		expect(point).toMatchObject({
			indexes: ["default"],
			blobs: ["http", "GET", "/runs/:id", "200"],
		});
		expect(point?.doubles?.[0]).toBeGreaterThanOrEqual(0);
		await settle(runId);
		const run = written.mock.calls.map(([data]) => data).find((data) => data?.blobs?.[0] === "run");
		expect(run).toMatchObject({ indexes: ["default"], blobs: ["run", "completed", "test"] });
		written.mockRestore();
	});
});
