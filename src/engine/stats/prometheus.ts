/**
 * The Prometheus text exposition format (0.0.4) of a tenant's run statistics and breakers.
 * Everything comes from state that stays small as history grows (the day rollups, the breaker
 * objects), and every label value comes from a bounded set: statuses, planners, tool names,
 * error codes, breaker states. No prompt, title, input or key ever becomes a label.
 */
import type { Histogram, Summary } from "./summary";

/** Upper bounds of the duration histograms' buckets, in ms. */
export const DURATION_BUCKETS_MS = [
	5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000,
];

export interface BreakerGauge {
	tool: string;
	status: "closed" | "open" | "half_open";
	opened: number;
}

type Labels = Record<string, string>;

function escapeLabel(value: string): string {
	return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function sample(name: string, labels: Labels, value: number): string {
	const pairs = Object.entries(labels).map(([key, label]) => `${key}="${escapeLabel(label)}"`);
	return `${name}${pairs.length > 0 ? `{${pairs.join(",")}}` : ""} ${value}`;
}

class Exposition {
	private readonly lines: string[] = [];

	family(name: string, type: "counter" | "gauge" | "histogram", help: string): this {
		this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
		return this;
	}

	add(name: string, labels: Labels, value: number): this {
		this.lines.push(sample(name, labels, value));
		return this;
	}

	histogram(name: string, labels: Labels, histogram: Histogram): this {
		const values = Object.entries(histogram).map(
			([value, count]) => [Number(value), count] as const,
		);
		let sum = 0;
		let total = 0;
		for (const [value, count] of values) {
			sum += value * count;
			total += count;
		}
		for (const bound of DURATION_BUCKETS_MS) {
			const below = values
				.filter(([value]) => value <= bound)
				.reduce((n, [, count]) => n + count, 0);
			this.add(`${name}_bucket`, { ...labels, le: String(bound) }, below);
		}
		this.add(`${name}_bucket`, { ...labels, le: "+Inf" }, total);
		this.add(`${name}_sum`, labels, sum);
		return this.add(`${name}_count`, labels, total);
	}

	toString(): string {
		return `${this.lines.join("\n")}\n`;
	}
}

/** The exposition of one tenant's all-time summary and the tools' breakers. */
export function prometheusText(summary: Summary, breakers: readonly BreakerGauge[]): string {
	const out = new Exposition();
	out.family("agent_runs_total", "counter", "Runs by their current status.");
	for (const [status, count] of Object.entries(summary.runs))
		out.add("agent_runs_total", { status }, count);
	out.family("agent_run_duration_ms", "histogram", "Creation to end of finished runs, in ms.");
	out.histogram("agent_run_duration_ms", {}, summary.duration);
	out.family("agent_step_attempts_total", "counter", "Step attempts by tool.");
	for (const [tool, stats] of Object.entries(summary.tools)) {
		out.add("agent_step_attempts_total", { tool }, stats.executions);
	}
	out.family("agent_step_retries_total", "counter", "Step attempts that were retries, by tool.");
	for (const [tool, stats] of Object.entries(summary.tools))
		out.add("agent_step_retries_total", { tool }, stats.retries);
	out.family("agent_step_failures_total", "counter", "Steps that failed for good, by tool.");
	for (const [tool, stats] of Object.entries(summary.tools)) {
		out.add("agent_step_failures_total", { tool }, stats.failures);
	}
	out.family(
		"agent_step_duration_ms",
		"histogram",
		"Duration of each step's final attempt, by tool.",
	);
	for (const [tool, stats] of Object.entries(summary.tools))
		out.histogram("agent_step_duration_ms", { tool }, stats.duration);
	out.family(
		"agent_step_errors_total",
		"counter",
		"Failed attempts (retried or final) by error code.",
	);
	const byCode = new Map<string, number>();
	for (const [key, count] of Object.entries(summary.errors)) {
		const code = key.split("\u0000")[0] ?? "";
		byCode.set(code, (byCode.get(code) ?? 0) + count);
	}
	for (const [code, count] of byCode) out.add("agent_step_errors_total", { code }, count);
	out.family("agent_planner_runs_total", "counter", "Runs by the planner that planned them.");
	for (const [planner, count] of Object.entries(summary.planners)) {
		out.add("agent_planner_runs_total", { planner }, count);
	}
	out.family("agent_llm_fallbacks_total", "counter", "Runs the LLM planner handed to the rules.");
	out.add("agent_llm_fallbacks_total", {}, summary.llm.fell_back);
	out.family("agent_llm_tokens_total", "counter", "Tokens of the LLM planner's calls.");
	out.add("agent_llm_tokens_total", { kind: "prompt" }, summary.llm.prompt);
	out.add("agent_llm_tokens_total", { kind: "completion" }, summary.llm.completion);
	out.family("agent_llm_latency_ms", "histogram", "Latency of the LLM planner's uncached calls.");
	out.histogram("agent_llm_latency_ms", {}, summary.llm_latency);
	const spend = summary.spend;
	out.family("agent_runs_budget_exceeded_total", "counter", "Runs a spent budget stopped.");
	out.add("agent_runs_budget_exceeded_total", {}, spend?.budget_exceeded ?? 0);
	out.family("agent_llm_cost_usd_total", "counter", "Model spend of runs, by LLM_PRICES (US$).");
	out.add("agent_llm_cost_usd_total", {}, (spend?.cost_micro_usd ?? 0) / 1_000_000);
	out.family(
		"agent_breaker_open",
		"gauge",
		"1 while a tool's circuit breaker is open or half-open.",
	);
	for (const { tool, status } of breakers)
		out.add("agent_breaker_open", { tool, status }, status === "closed" ? 0 : 1);
	out.family("agent_breaker_opened_total", "counter", "Times a tool's breaker opened.");
	for (const { tool, opened } of breakers) out.add("agent_breaker_opened_total", { tool }, opened);
	return out.toString();
}
