/**
 * How a plan was made: kept on the plan, shown on the run and archived. It lives beside the plan
 * because the plan carries it; the planners fill it in.
 */
export interface TokenUsage {
	prompt_tokens: number;
	completion_tokens: number;
	total_tokens: number;
}

/** Why the model's plan was not used. Outages trip the breaker; bad answers do not. */
export type LlmFailureReason =
	| "timeout"
	| "rate_limited"
	| "server_error"
	| "unreachable"
	| "api_error"
	| "invalid_answer"
	| "circuit_open";

export interface PlanningRecord {
	fallback_reason: LlmFailureReason | null;
	fallback_message: string | null;
	model: string | null;
	latency_ms: number | null;
	usage: TokenUsage | null;
	repairs: number;
	cached: boolean;
	/** What the model's tokens cost, by the deployment's price table (LLM_PRICES). */
	cost_usd?: number;
}
