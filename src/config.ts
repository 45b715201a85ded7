import { drizzle } from "drizzle-orm/d1";
import OpenAI from "openai";
import { d1PlanCache } from "./db/plan-cache";
import { Logger, parseLogLevel } from "./engine/log";
import type { LlmPlanning, PlannerChoice } from "./engine/planner/planning";
import { type BreakerConfig, DEFAULT_BREAKER_CONFIG } from "./engine/resilience/circuit-breaker";
import type { BucketConfig } from "./engine/resilience/token-bucket";
import { type ToolRegistry, toolRegistry } from "./engine/tools/registry";

/** Every piece of data is scoped by tenant; until API keys exist, all requests share this one. */
export const DEFAULT_TENANT = "default";

export function isProduction(env: Env): boolean {
	return env.ENVIRONMENT === "production";
}

/** The tools this deployment offers: fault injection only outside production. */
export function registryFor(env: Env): ToolRegistry {
	return toolRegistry({ includeDevTools: !isProduction(env) });
}

export function loggerFor(env: Env, fields: Record<string, unknown> = {}): Logger {
	return new Logger(fields, parseLogLevel(env.LOG_LEVEL));
}

/** The planner a request gets when it names none (DEFAULT_PLANNER, "auto" by default). */
export function defaultPlanner(env: Env): PlannerChoice {
	const value = env.DEFAULT_PLANNER;
	return value === "llm" || value === "rules" ? value : "auto";
}

/**
 * The LLM endpoint's breaker: from the first call on, an outage (timeout, 429, 5xx, unreachable)
 * in half the calls of a minute opens it for 30 seconds, so a dead endpoint costs one timeout per
 * window, not one per run; then one trial call decides.
 */
export const LLM_BREAKER: BreakerConfig = {
	...DEFAULT_BREAKER_CONFIG,
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
export function llmPlanningFor(env: Env, logger: Logger): LlmPlanning | undefined {
	const apiKey = env.OPENAI_API_KEY || undefined;
	const baseURL = env.OPENAI_BASE_URL || undefined;
	if (!apiKey && !baseURL) return undefined;
	const timeoutMs = Number(env.OPENAI_TIMEOUT_MS) > 0 ? Number(env.OPENAI_TIMEOUT_MS) : 10_000;
	const endpoint = baseURL ?? "https://api.openai.com/v1";
	const client = openAiClient(endpoint, apiKey, timeoutMs);
	const name = `llm:${endpoint}`;
	const breaker = env.BREAKERS.get(env.BREAKERS.idFromName(name));
	return {
		settings: { client, model: env.OPENAI_MODEL || "gpt-4o-mini", timeoutMs, endpoint },
		breaker: {
			admit: async () => (await breaker.admit(name, LLM_BREAKER)).allowed,
			record: async (ok) => {
				await breaker.record(name, ok ? "success" : "failure", LLM_BREAKER);
			},
		},
		cache: d1PlanCache(drizzle(env.DB), logger),
	};
}

const DAY_MS = 86_400_000;

/** How long a finished run's object keeps its storage after archiving (RUN_RETENTION_DAYS). */
export function retentionMs(env: Env): number {
	const days = Number(env.RUN_RETENTION_DAYS);
	return Number.isFinite(days) && days >= 0 ? days * DAY_MS : 7 * DAY_MS;
}

/** Auth is always on in production, and on elsewhere when AUTH=on. */
export function authRequired(env: Env): boolean {
	return isProduction(env) || env.AUTH === "on";
}

/** The tenant of the bootstrap key (BOOTSTRAP_TENANT, "default" unless set). */
export function bootstrapTenant(env: Env): string {
	return env.BOOTSTRAP_TENANT || DEFAULT_TENANT;
}

/** Origins allowed to call the API from a browser (CORS_ORIGINS, comma-separated). */
export function corsOrigins(env: Env): string[] {
	const origins = (env.CORS_ORIGINS ?? "")
		.split(",")
		.map((origin) => origin.trim())
		.filter(Boolean);
	// No wildcard in production: a listed "*" is ignored there.
	return isProduction(env) ? origins.filter((origin) => origin !== "*") : origins;
}

const DEFAULT_RATE_LIMIT: BucketConfig = { capacity: 60, refill_per_s: 1 };
const DEFAULT_LIVE_RUNS = 100;

interface TenantLimits extends BucketConfig {
	/** Runs a tenant may have live (created, not yet finished) at once. */
	live_runs: number;
}

/**
 * A tenant's limits: RATE_LIMITS (JSON, e.g. {"default": {"capacity": 60, "refill_per_s": 1,
 * "live_runs": 100}, "acme": {"capacity": 600, "refill_per_s": 10}}) by tenant, then its
 * "default", then 60 tokens refilled at 1 per second and 100 live runs.
 */
export function limitsFor(env: Env, tenant: string): TenantLimits {
	const fallback = { ...DEFAULT_RATE_LIMIT, live_runs: DEFAULT_LIVE_RUNS };
	try {
		const limits = JSON.parse(env.RATE_LIMITS || "{}") as Record<string, Partial<TenantLimits>>;
		const chosen =
			(Object.hasOwn(limits, tenant) ? limits[tenant] : undefined) ?? limits.default ?? {};
		const capacity = Number(chosen.capacity ?? fallback.capacity);
		const refill = Number(chosen.refill_per_s ?? fallback.refill_per_s);
		const live = Number(chosen.live_runs ?? fallback.live_runs);
		const valid =
			[capacity, refill, live].every(Number.isFinite) && capacity > 0 && refill >= 0 && live > 0;
		return valid ? { capacity, refill_per_s: refill, live_runs: live } : fallback;
	} catch {
		return fallback;
	}
}

/** Hosts http.request may reach (HTTP_ALLOWLIST, comma-separated); empty turns the tool off. */
export function httpAllowlist(env: Env): string[] {
	return (env.HTTP_ALLOWLIST ?? "")
		.split(",")
		.map((host) => host.trim().toLowerCase())
		.filter(Boolean);
}

/** Extra time a queued attempt gets beyond its timeout for the queue to deliver it (QUEUE_DELIVERY_MS). */
export function queueDeliveryMs(env: Env): number {
	const ms = Number(env.QUEUE_DELIVERY_MS);
	return Number.isFinite(ms) && ms >= 0 ? ms : 30_000;
}

/**
 * How long the queue waits before redelivering a message the consumer could not finish:
 * QUEUE_RETRY_DELAY_S doubled per delivery, at most a minute (0 redelivers at once).
 */
export function queueRetryDelayS(env: Env, deliveries: number): number {
	const base = Number(env.QUEUE_RETRY_DELAY_S);
	const seconds = Number.isFinite(base) && base >= 0 ? base : 2;
	return Math.min(60, Math.round(seconds * 2 ** Math.max(0, deliveries - 1)));
}

/**
 * The breaker settings for a tool: CIRCUIT_BREAKERS (JSON: {"default": {...}, "http.request":
 * {...}}) by tool name, over its "default", over DEFAULT_BREAKER_CONFIG (half of at least 20
 * calls in 60 s failing opens it for 30 s; 2 successful trials close it).
 */
export function breakerConfigFor(env: Env, tool: string): BreakerConfig {
	const fallback: BreakerConfig = DEFAULT_BREAKER_CONFIG;
	const settings = parseJsonVar<Record<string, Partial<BreakerConfig>>>(env.CIRCUIT_BREAKERS);
	const chosen = {
		...fallback,
		...settings?.default,
		...(settings && Object.hasOwn(settings, tool) ? settings[tool] : {}),
	};
	const { failure_rate: rate, ...counts } = chosen;
	const valid =
		typeof rate === "number" &&
		rate > 0 &&
		rate <= 1 &&
		Object.values(counts).every((value) => Number.isInteger(value) && value >= 1);
	return valid ? chosen : fallback;
}

export interface BulkheadLimits {
	/** Queued steps one tenant may have running at once; 0 for no limit. */
	tenant: number;
	/** Queued steps of one tool running at once, across tenants; 0 for no limit. */
	tool: number;
}

/**
 * Bulkheads for queued steps: BULKHEADS (JSON: {"tenant": 50, "tool": 20, "tools":
 * {"http.request": 10}}). Unset or invalid numbers fall back to 50 per tenant and 20 per tool.
 */
export function bulkheadLimitsFor(env: Env, tool: string): BulkheadLimits {
	const settings = parseJsonVar<{ tenant?: number; tool?: number; tools?: Record<string, number> }>(
		env.BULKHEADS,
	);
	const limit = (value: unknown, fallback: number) =>
		Number.isInteger(value) && (value as number) >= 0 ? (value as number) : fallback;
	const perTool =
		settings?.tools && Object.hasOwn(settings.tools, tool) ? settings.tools[tool] : settings?.tool;
	return { tenant: limit(settings?.tenant, 50), tool: limit(perTool, 20) };
}

function parseJsonVar<T>(raw: string | undefined): T | undefined {
	try {
		const value = JSON.parse(raw || "{}") as unknown;
		return value !== null && typeof value === "object" ? (value as T) : undefined;
	} catch {
		return undefined;
	}
}
