/**
 * Run statistics as summaries that add up: one run's summary, an hour's (the sum of its runs'),
 * a window's (the sum of its hours'). Counts are exact. Durations are kept as histograms whose
 * buckets hold three significant digits (exact below 1,000 ms, within 1% above), so percentiles
 * read from them stay close to the exact nearest-rank values at any volume.
 */
import type { RunEvent } from "../run/events";
import type { RunState } from "../run/state";

/** Bucket value → count. */
export type Histogram = Record<string, number>;

export interface ToolSummary {
	executions: number;
	failures: number;
	retries: number;
	duration: Histogram;
}

export interface Summary {
	runs: Record<string, number>;
	planners: Record<string, number>;
	duration: Histogram;
	tools: Record<string, ToolSummary>;
	/** `code\u0000message` → failed attempts (retried or final). */
	errors: Record<string, number>;
	llm: { runs: number; fell_back: number; cached: number; prompt: number; completion: number };
	llm_latency: Histogram;
	/**
	 * What runs spent (planning rounds and llm.generate steps): tokens, cost in micro-dollars
	 * (integers add up exactly), agent runs and their rounds, and runs a budget stopped.
	 * Absent from summaries written before budgets existed.
	 */
	spend?: Spend;
}

export interface Spend {
	llm_tokens: number;
	cost_micro_usd: number;
	agent_runs: number;
	agent_rounds: number;
	budget_exceeded: number;
}

const SPEND_KEYS = [
	"llm_tokens",
	"cost_micro_usd",
	"agent_runs",
	"agent_rounds",
	"budget_exceeded",
] as const;

export const emptySpend = (): Spend => ({
	llm_tokens: 0,
	cost_micro_usd: 0,
	agent_runs: 0,
	agent_rounds: 0,
	budget_exceeded: 0,
});

export function emptySummary(): Summary {
	return {
		runs: {},
		planners: {},
		duration: {},
		tools: {},
		errors: {},
		llm: { runs: 0, fell_back: 0, cached: 0, prompt: 0, completion: 0 },
		llm_latency: {},
		spend: emptySpend(),
	};
}

/** The bucket of a value: itself below 1,000; else its first three significant digits. */
export function bucketOf(value: number): number {
	const whole = Math.max(0, Math.round(value));
	if (whole < 1_000) return whole;
	const scale = 10 ** (Math.floor(Math.log10(whole)) - 2);
	return Math.floor(whole / scale) * scale;
}

function addTo(table: Record<string, number>, key: string | number, by: number): void {
	const next = (table[key] ?? 0) + by;
	if (next === 0) delete table[key];
	else table[key] = next;
}

/** The tool's entry of a summary, created empty when missing. */
function toolIn(summary: Summary, name: string): ToolSummary {
	const found = summary.tools[name];
	if (found) return found;
	const created: ToolSummary = { executions: 0, failures: 0, retries: 0, duration: {} };
	summary.tools[name] = created;
	return created;
}

/** What one run adds to the statistics, from its state and (once finished) its log. */
export function summaryOf(state: RunState, events: readonly RunEvent[] = []): Summary {
	const summary = emptySummary();
	addTo(summary.runs, state.status, 1);
	addTo(summary.planners, state.plan.planner, 1);
	if (state.completed_at) {
		const ms = Date.parse(state.completed_at) - Date.parse(state.created_at);
		addTo(summary.duration, bucketOf(ms), 1);
	}
	for (const step of state.execution_log) {
		const tool = toolIn(summary, step.tool);
		tool.executions += step.attempts;
		tool.failures += step.status === "failed" ? 1 : 0;
		tool.retries += Math.max(step.attempts - 1, 0);
		if (step.duration_ms !== null) addTo(tool.duration, bucketOf(step.duration_ms), 1);
	}
	for (const { data } of events) {
		if (data.type === "step_failed" || data.type === "step_retry_scheduled") {
			addTo(summary.errors, `${data.error.code}\u0000${data.error.message}`, 1);
		}
	}
	const agent = state.options.mode === "agent";
	summary.spend = {
		llm_tokens: state.llm.tokens,
		cost_micro_usd: Math.round(state.llm.cost_usd * 1_000_000),
		agent_runs: agent ? 1 : 0,
		agent_rounds: agent ? state.rounds : 0,
		budget_exceeded: state.stop ? 1 : 0,
	};
	const planning = state.plan.planning;
	if (state.plan.planner.startsWith("llm")) {
		summary.llm = {
			runs: 1,
			fell_back: state.plan.planner === "llm→rules" ? 1 : 0,
			cached: planning?.cached ? 1 : 0,
			prompt: planning?.usage?.prompt_tokens ?? 0,
			completion: planning?.usage?.completion_tokens ?? 0,
		};
		if (planning?.latency_ms != null && planning.cached === false) {
			addTo(summary.llm_latency, bucketOf(planning.latency_ms), 1);
		}
	}
	return summary;
}

/** `into` plus `sign` times `from`, in place; returns `into`. */
export function combine(into: Summary, from: Summary, sign: 1 | -1 = 1): Summary {
	const merge = (a: Record<string, number>, b: Record<string, number>) => {
		for (const [key, count] of Object.entries(b)) addTo(a, key, sign * count);
	};
	merge(into.runs, from.runs);
	merge(into.planners, from.planners);
	merge(into.duration, from.duration);
	merge(into.errors, from.errors);
	merge(into.llm_latency, from.llm_latency);
	for (const key of ["runs", "fell_back", "cached", "prompt", "completion"] as const) {
		into.llm[key] += sign * from.llm[key];
	}
	if (from.spend) {
		into.spend ??= emptySpend();
		for (const key of SPEND_KEYS) into.spend[key] += sign * from.spend[key];
	}
	for (const [name, tool] of Object.entries(from.tools)) {
		const target = toolIn(into, name);
		target.executions += sign * tool.executions;
		target.failures += sign * tool.failures;
		target.retries += sign * tool.retries;
		merge(target.duration, tool.duration);
		if (target.executions === 0 && Object.keys(target.duration).length === 0)
			delete into.tools[name];
	}
	return into;
}

/** Nearest-rank percentile over a histogram: the smallest bucket reaching ceil(p * n). */
export function percentileOf(histogram: Histogram, p: number): number | null {
	const buckets = Object.entries(histogram)
		.map(([value, count]) => [Number(value), count] as const)
		.sort((a, b) => a[0] - b[0]);
	const total = buckets.reduce((sum, [, count]) => sum + count, 0);
	if (total === 0) return null;
	const rank = Math.ceil(p * total);
	let seen = 0;
	for (const [value, count] of buckets) {
		seen += count;
		if (seen >= rank) return value;
	}
	return buckets.at(-1)?.[0] ?? null;
}
