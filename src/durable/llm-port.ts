import { llmPlanningFor, loggerFor } from "../config";
import { generateWithLlm } from "../engine/planner/llm/generate";
import { OUTAGE_REASONS } from "../engine/planner/llm/llm-planner";
import { costOf } from "../engine/run/budget";
import type { LlmPort } from "../engine/tools/llm-generate";
import type { Settings } from "../settings";

/**
 * llm.generate's model: the planner's client and its breaker (an outage seen by either counts
 * for both), with the cost of each answer from LLM_PRICES. Undefined when no model is configured.
 */
export function llmPortFor(env: Env, settings: Settings): LlmPort | undefined {
	const planning = llmPlanningFor(env, settings, loggerFor(settings));
	if (!planning) return undefined;
	return {
		async generate(request) {
			if (!(await planning.breaker.admit())) {
				return {
					ok: false,
					code: "circuit_open",
					message: "The model endpoint's circuit is open after recent outages",
					retryable: true,
				};
			}
			const result = await generateWithLlm(request, planning.settings);
			await planning.breaker.record(result.ok || !OUTAGE_REASONS.has(result.reason));
			const { model } = planning.settings;
			if (!result.ok) {
				return {
					ok: false,
					code: `llm_${result.reason}`,
					message: result.message,
					retryable: OUTAGE_REASONS.has(result.reason),
					spend: {
						usage: result.usage,
						cost_usd: costOf(result.usage, model, settings.LLM_PRICES),
					},
				};
			}
			return {
				ok: true,
				content: result.content,
				usage: result.usage,
				cost_usd: costOf(result.usage, model, settings.LLM_PRICES),
				model,
				latency_ms: result.latency_ms,
			};
		},
	};
}
