import { AppError } from "../errors";
import { finalisePlan } from "../plan/finalise";
import type { Plan, PlanDraft } from "../plan/model";
import type { PlanningRecord } from "../plan/provenance";
import type { ToolRegistry } from "../tools/registry";
import { type LlmSettings, OUTAGE_REASONS, planWithLlm } from "./llm/llm-planner";
import { rulesPlanner } from "./rules";
import { normalisePrompt } from "./rules/text";

export type PlannerChoice = "auto" | "llm" | "rules";

/** The LLM endpoint's shared circuit breaker. */
export interface BreakerPort {
	admit(): Promise<boolean>;
	record(ok: boolean): Promise<void>;
}

/** Plans the model made before, by normalised prompt, catalogue and model. */
export interface PlanCachePort {
	get(key: string): Promise<PlanDraft | undefined>;
	put(key: string, draft: PlanDraft): Promise<void>;
}

export interface LlmPlanning {
	settings: LlmSettings;
	breaker: BreakerPort;
	cache: PlanCachePort;
}

export interface PlanRequest {
	prompt: string;
	choice: PlannerChoice;
	useCache: boolean;
	planId: string;
	/** Set (to the tenant) when the catalogue holds a tenant's own tools: its plans are its own. */
	cacheScope?: string;
}

const NO_LLM: PlanningRecord = {
	fallback_reason: null,
	fallback_message: null,
	model: null,
	latency_ms: null,
	usage: null,
	repairs: 0,
	cached: false,
};

/**
 * Picks the planner and falls back: the model when one is configured (or asked for), the rules
 * when it is not, and the rules again when the model times out, errors, is rate limited, sits
 * behind an open breaker, or answers with a plan that fails validation twice. When both fail the
 * user gets 422 with both reasons. No plan reaches the caller unvalidated.
 */
export async function planPrompt(
	request: PlanRequest,
	registry: ToolRegistry,
	llm: LlmPlanning | undefined,
): Promise<Plan> {
	const { prompt, choice, planId } = request;
	if (choice === "llm" && !llm) {
		throw new AppError(
			"invalid_request",
			"No LLM planner is configured: set OPENAI_BASE_URL or OPENAI_API_KEY",
			{
				issues: [{ path: "planner", message: "llm is not configured" }],
			},
		);
	}
	if (choice === "rules" || !llm) return planWithRules(prompt, registry, planId, "rules", NO_LLM);

	const { settings, breaker, cache } = llm;
	const key = await cacheKey(prompt, registry, settings.model, request.cacheScope);
	if (request.useCache) {
		const cached = await cache.get(key);
		if (cached) {
			const planning = { ...NO_LLM, model: settings.model, latency_ms: 0, cached: true };
			return finalisePlan(cached, registry, {
				planId,
				planner: "llm",
				planning,
				failureCode: "unplannable_prompt",
			});
		}
	}
	if (!(await breaker.admit())) {
		const planning = {
			...NO_LLM,
			fallback_reason: "circuit_open" as const,
			fallback_message: "The model endpoint's circuit is open",
		};
		return fallBack(prompt, registry, planId, planning);
	}
	const result = await planWithLlm(prompt, registry, settings);
	await breaker.record(result.ok || !OUTAGE_REASONS.has(result.reason));
	const measured = {
		model: settings.model,
		latency_ms: result.latency_ms,
		usage: result.usage,
		repairs: result.repairs,
		cached: false,
	};
	if (!result.ok) {
		return fallBack(prompt, registry, planId, {
			...measured,
			fallback_reason: result.reason,
			fallback_message: result.message,
		});
	}
	const planning = { ...measured, fallback_reason: null, fallback_message: null };
	const plan = finalisePlan(result.draft, registry, {
		planId,
		planner: "llm",
		planning,
		failureCode: "unplannable_prompt",
	});
	await cache.put(key, result.draft);
	return plan;
}

async function planWithRules(
	prompt: string,
	registry: ToolRegistry,
	planId: string,
	planner: string,
	planning: PlanningRecord,
) {
	const draft = await rulesPlanner.plan(prompt);
	return finalisePlan(draft, registry, {
		planId,
		planner,
		planning,
		failureCode: "unplannable_prompt",
	});
}

async function fallBack(
	prompt: string,
	registry: ToolRegistry,
	planId: string,
	planning: PlanningRecord,
): Promise<Plan> {
	try {
		return await planWithRules(prompt, registry, planId, "llm→rules", planning);
	} catch (error) {
		if (!(error instanceof AppError)) throw error;
		throw new AppError(
			"unplannable_prompt",
			`Neither planner could plan this prompt: ${planning.fallback_message}; ${error.message}`,
			{
				llm: { reason: planning.fallback_reason, message: planning.fallback_message },
				rules: { message: error.message, details: error.details },
			},
		);
	}
}

/** Same normalised prompt, same catalogue (any schema change alters it), same model: same plan. */
export async function cacheKey(
	prompt: string,
	registry: ToolRegistry,
	model: string,
	scope?: string,
): Promise<string> {
	const normalised = normalisePrompt(prompt)
		.toLowerCase()
		.replace(/[\s.!?]+$/, "");
	const material = JSON.stringify([
		normalised,
		registry.describe(),
		model,
		...(scope ? [scope] : []),
	]);
	const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(material));
	return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
