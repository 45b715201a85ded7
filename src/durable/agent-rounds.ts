import { llmPlanningFor } from "../config";
import type { Logger } from "../engine/log";
import { agentRound } from "../engine/planner/llm/agent-round";
import { OUTAGE_REASONS } from "../engine/planner/llm/llm-planner";
import { costOf, type LlmSpend } from "../engine/run/budget";
import type { RunEventData } from "../engine/run/events";
import { liveFailures } from "../engine/run/failures";
import { runResult } from "../engine/run/scheduler";
import type { RunState } from "../engine/run/state";
import type { ToolRegistry } from "../engine/tools/registry";
import type { Settings } from "../settings";
import { tenantCatalogue, toolsFrom } from "./tenant-tools";

/**
 * One planning round of an agent run, carried out for the run's object: the model (the
 * planner's client, behind its breaker) sees the goal and what each step did, and either ends the
 * loop or adds steps. The tools it may use are the run's plus the tenant's catalogue as it
 * stands; new tenant tools are recorded with the round. Answers the events to append.
 */
export async function planningRound(
	env: Env,
	settings: Settings,
	logger: Logger,
	state: RunState,
	registry: ToolRegistry,
): Promise<RunEventData[]> {
	const llm = llmPlanningFor(env, settings, logger);
	const failed = (message: string, spend?: LlmSpend): RunEventData[] => [
		{
			type: "run_failed",
			error: { code: "replan_failed", message, step: null },
			...(spend ? { spend } : {}),
		},
	];
	if (!llm) return failed("Agent runs need a model: set OPENAI_BASE_URL (and OPENAI_API_KEY)");
	if (!(await llm.breaker.admit())) {
		return failed("The model endpoint's circuit is open after recent outages");
	}
	const catalogue = await tenantCatalogue(env, state.tenant);
	const known = new Set(state.tools.map((tool) => tool.name));
	const fresh = catalogue.filter((tool) => !known.has(tool.name));
	const result = await agentRound(state, registry.with(toolsFrom(fresh)), llm.settings);
	await llm.breaker.record(result.ok || !OUTAGE_REASONS.has(result.reason));
	const spend = {
		usage: result.usage,
		cost_usd: costOf(result.usage, llm.settings.model, settings.LLM_PRICES),
	};
	logger.info("agent round", {
		round: state.rounds + 1,
		ok: result.ok,
		latency_ms: result.latency_ms,
	});
	if (!result.ok) return failed(result.message, spend);
	if (result.done) {
		return [
			{ type: "agent_finished", outcome: "goal_met", reason: result.reason, spend },
			{ type: "run_completed", result: runResult(state) },
		];
	}
	const used = new Set(result.steps.map((step) => step.tool));
	return [
		{
			type: "plan_extended",
			round: state.rounds + 1,
			reason: result.reason,
			steps: result.steps,
			spend,
			tools: fresh.filter((tool) => used.has(tool.name)),
			...(liveFailures(state).length > 0 ? { after_failure: true } : {}),
		},
	];
}
