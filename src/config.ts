/**
 * Wiring from settings to the engine's parts: the tool registry, loggers, the LLM planner. Every
 * function takes the parsed `Settings` (src/settings.ts); only the LLM wiring also needs bindings.
 */
import { drizzle } from "drizzle-orm/d1";
import OpenAI from "openai";
import { d1PlanCache } from "./db/plan-cache";
import { Logger } from "./engine/log";
import type { LlmPlanning } from "./engine/planner/planning";
import type { BreakerConfig } from "./engine/resilience/circuit-breaker";
import { type ToolRegistry, toolRegistry } from "./engine/tools/registry";
import { childSpan, formatTraceparent, type Span } from "./engine/trace";
import { DEFAULTS, isProduction, type Settings } from "./settings";

/** With auth off (local development), every request is this tenant's. */
export const DEFAULT_TENANT = "default";

/** The tools this deployment offers: fault injection only outside production. */
export function registryFor(settings: Settings): ToolRegistry {
	return toolRegistry({ includeDevTools: !isProduction(settings) });
}

export function loggerFor(settings: Settings, fields: Record<string, unknown> = {}): Logger {
	return new Logger(fields, settings.LOG_LEVEL);
}

/**
 * The LLM endpoint's breaker: from the first call on, an outage (timeout, 429, 5xx, unreachable)
 * in half the calls of a minute opens it for 30 seconds, so a dead endpoint costs one timeout per
 * window, not one per run; then one trial call decides.
 */
export const LLM_BREAKER: BreakerConfig = {
	...DEFAULTS.breaker,
	minimum_calls: 1,
	success_threshold: 1,
};

let cachedClient: { key: string; client: OpenAI } | undefined;

/** One SDK client per isolate and configuration, not one per request. */
function openAiClient(endpoint: string, apiKey: string | undefined, timeoutMs: number): OpenAI {
	const key = JSON.stringify([endpoint, apiKey ?? "", timeoutMs]);
	if (cachedClient?.key !== key) {
		// Local servers (Ollama, LM Studio, vLLM) take no key, but the SDK insists on one.
		const client = new OpenAI({
			apiKey: apiKey ?? "not-needed",
			baseURL: endpoint,
			timeout: timeoutMs,
			maxRetries: 0,
		});
		cachedClient = { key, client };
	}
	return cachedClient.client;
}

/** The LLM planner's wiring, or undefined when no endpoint is configured. */
export function llmPlanningFor(
	env: Env,
	settings: Settings,
	logger: Logger,
	trace?: Span,
): LlmPlanning | undefined {
	const apiKey = settings.OPENAI_API_KEY || undefined;
	const baseURL = settings.OPENAI_BASE_URL || undefined;
	if (!apiKey && !baseURL) return undefined;
	const timeoutMs = settings.OPENAI_TIMEOUT_MS;
	const endpoint = baseURL ?? "https://api.openai.com/v1";
	const client = openAiClient(endpoint, apiKey, timeoutMs);
	const name = `llm:${endpoint}`;
	const breaker = env.BREAKERS.get(env.BREAKERS.idFromName(name));
	return {
		settings: {
			client,
			model: settings.OPENAI_MODEL,
			timeoutMs,
			endpoint,
			// The model call joins the request's trace as its "plan" child span.
			...(trace ? { headers: { traceparent: formatTraceparent(childSpan(trace, "plan")) } } : {}),
		},
		breaker: {
			admit: async () => (await breaker.admit(name, LLM_BREAKER)).allowed,
			record: async (ok) => {
				await breaker.record(name, ok ? "success" : "failure", LLM_BREAKER);
			},
		},
		cache: d1PlanCache(drizzle(env.DB), logger),
	};
}
