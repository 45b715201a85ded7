import type { BudgetName } from "../plan/budget";
import type { TokenUsage } from "../plan/provenance";
import type { RunState } from "./state";

export interface BudgetUsage {
	/** Steps started (a retry of a step is the same step). */
	steps: number;
	wall_ms: number;
	llm_tokens: number;
	cost_usd: number;
}

export interface BudgetBreach {
	budget: BudgetName;
	used: number;
	limit: number;
}

/** Model usage of one call or round, priced where it was made. */
export interface LlmSpend {
	usage: TokenUsage | null;
	cost_usd: number;
}

/** Per-model prices, in US dollars per million tokens. */
export type PriceTable = Record<
	string,
	{ prompt_per_million: number; completion_per_million: number }
>;

/** The cost of `usage` on `model`; a model with no price costs nothing (and is counted in tokens). */
export function costOf(usage: TokenUsage | null, model: string | null, prices: PriceTable): number {
	const price = model ? prices[model] : undefined;
	if (!usage || !price) return 0;
	const cost =
		(usage.prompt_tokens * price.prompt_per_million +
			usage.completion_tokens * price.completion_per_million) /
		1_000_000;
	return Math.round(cost * 1e8) / 1e8;
}

/** The run's spending so far; wall time up to `now`, or to its end once it has ended. */
export function usageOf(state: RunState, now: number): BudgetUsage {
	const end = state.completed_at ? Date.parse(state.completed_at) : now;
	return {
		steps: state.execution_log.filter((step) => step.attempts > 0 && step.reused_from === null)
			.length,
		wall_ms: Math.max(0, end - Date.parse(state.created_at)),
		llm_tokens: state.llm.tokens,
		cost_usd: Math.round(state.llm.cost_usd * 1e8) / 1e8,
	};
}

/**
 * The first budget the run has used up, checked before a step starts (`starting` more steps)
 * or a planning round (`planning`: tokens and money must be left for it).
 */
export function breachOf(
	state: RunState,
	now: number,
	{ starting = 0, planning = false }: { starting?: number; planning?: boolean } = {},
): BudgetBreach | null {
	const budget = state.options.budget;
	const used = usageOf(state, now);
	if (budget.max_wall_ms !== undefined && used.wall_ms >= budget.max_wall_ms) {
		return { budget: "max_wall_ms", used: used.wall_ms, limit: budget.max_wall_ms };
	}
	if (starting > 0 && budget.max_steps !== undefined && used.steps + 1 > budget.max_steps) {
		return { budget: "max_steps", used: used.steps, limit: budget.max_steps };
	}
	const spending = starting > 0 || planning;
	if (spending && budget.max_llm_tokens !== undefined && used.llm_tokens >= budget.max_llm_tokens) {
		return { budget: "max_llm_tokens", used: used.llm_tokens, limit: budget.max_llm_tokens };
	}
	if (spending && budget.max_cost_usd !== undefined && used.cost_usd >= budget.max_cost_usd) {
		return { budget: "max_cost_usd", used: used.cost_usd, limit: budget.max_cost_usd };
	}
	return null;
}

/** How many more steps the budget lets start now. */
export function stepsLeft(state: RunState, now: number): number {
	const limit = state.options.budget.max_steps;
	return limit === undefined
		? Number.POSITIVE_INFINITY
		: Math.max(0, limit - usageOf(state, now).steps);
}

/** When the wall-clock budget runs out, to wake the run then; null without one. */
export function wallDeadline(state: RunState): number | null {
	const limit = state.options.budget.max_wall_ms;
	return limit === undefined ? null : Date.parse(state.created_at) + limit;
}

export function describeBreach(breach: BudgetBreach): string {
	return `The run's ${breach.budget} budget is spent: ${breach.used} used of ${breach.limit}`;
}
