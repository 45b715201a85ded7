import { AppError, type ErrorCode } from "../errors";
import type { ToolRegistry } from "../tools/registry";
import type { Plan, PlanDraft } from "./model";
import type { PlanningRecord } from "./provenance";
import { validatePlan } from "./validate";

export interface FinaliseOptions {
	planId: string;
	planner: string;
	planning?: PlanningRecord | null;
	/** The error code to raise when validation fails: a client's plan and a planner's differ. */
	failureCode: Extract<ErrorCode, "invalid_plan" | "unplannable_prompt">;
}

/** Validates a proposed plan and stamps it; throws an AppError listing every issue otherwise. */
export function finalisePlan(
	draft: PlanDraft,
	registry: ToolRegistry,
	options: FinaliseOptions,
): Plan {
	const validation = validatePlan(draft, registry);
	if (!validation.ok) {
		const first = validation.issues[0]?.message ?? "The plan is invalid";
		const more = validation.issues.length > 1 ? ` (and ${validation.issues.length - 1} more)` : "";
		throw new AppError(options.failureCode, `${first}${more}`, { issues: validation.issues });
	}
	// A destructive tool keeps its approval requirement whatever the planner or client said.
	const steps = validation.steps.map((step) =>
		registry.get(step.tool)?.requiresApproval ? { ...step, requires_approval: true } : step,
	);
	return {
		plan_id: options.planId,
		planner: options.planner,
		planning: options.planning ?? null,
		goal: draft.goal,
		steps,
	};
}
