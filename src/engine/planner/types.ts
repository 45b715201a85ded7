import type { PlanDraft } from "../plan/model";

/** Turns a prompt into a proposed plan; the caller validates it like any other plan. */
export interface Planner {
	readonly name: string;
	plan(prompt: string): Promise<PlanDraft>;
}
