import { z } from "zod";
import { JsonSchema } from "../json";
import { RetryPolicySchema } from "../resilience/retry-policy";
import { BudgetSchema } from "./budget";
import type { PlanningRecord } from "./provenance";

export const MAX_PLAN_STEPS = 50;

/**
 * One tool call. `input` may hold `{"$ref": "steps.N.output"}` (optionally followed by a dotted
 * path into that output, e.g. "steps.2.output.todos.0.id") anywhere; such a reference makes the
 * step depend on step N, whether or not `depends_on` lists it.
 */
export const StepSchema = z
	.object({
		step_number: z.number().int().min(1).max(1_000),
		tool: z.string().min(1).max(64),
		input: z.record(z.string(), JsonSchema),
		reasoning: z.string().max(2_000).default(""),
		depends_on: z.array(z.number().int().min(1).max(1_000)).max(MAX_PLAN_STEPS).default([]),
		/** A person must approve the step before it runs; forced on for destructive tools. */
		requires_approval: z.boolean().default(false),
	})
	.strict();

/** A plan as a planner or a client proposes it, before validation. */
export const PlanDraftSchema = z
	.object({
		goal: z.string().max(4_000),
		steps: z.array(StepSchema).max(1_000),
	})
	.strict();

export type Step = z.infer<typeof StepSchema>;
export type PlanDraft = z.infer<typeof PlanDraftSchema>;

/** A validated plan: steps sorted by number, every reference listed in `depends_on`. */
export interface Plan extends PlanDraft {
	plan_id: string;
	/** "rules", "llm", "llm→rules" (the model failed; see planning.fallback_reason) or "client". */
	planner: string;
	/** How a planner made it: model, latency, tokens, repairs, cache, fallback. Null for client plans. */
	planning: PlanningRecord | null;
}

/** Per-run overrides of the retry policy, accepted on POST /runs. */
export const RunPolicySchema = RetryPolicySchema.partial();
export type RunPolicy = z.infer<typeof RunPolicySchema>;

export const DEFAULT_APPROVAL_TTL_MS = 24 * 60 * 60 * 1_000;
export const DEFAULT_CANCEL_GRACE_MS = 5_000;
export const DEFAULT_MAX_ROUNDS = 5;

/** How one run behaves beyond its plan. */
export const RunOptionsSchema = z
	.object({
		policy: RunPolicySchema.default({}),
		/** Undo completed steps' effects when the run fails (cancellation asks on its own). */
		compensate_on_failure: z.boolean().default(false),
		approval_ttl_ms: z
			.number()
			.int()
			.min(1)
			.max(7 * 86_400_000)
			.default(DEFAULT_APPROVAL_TTL_MS),
		cancel_grace_ms: z.number().int().min(0).max(60_000).default(DEFAULT_CANCEL_GRACE_MS),
		/**
		 * "agent": after the plan has run, the model is asked whether the goal is met, and may add
		 * steps (up to `max_rounds` planning rounds in all, the first one included).
		 */
		mode: z.enum(["plan", "agent"]).default("plan"),
		max_rounds: z.number().int().min(1).max(20).default(DEFAULT_MAX_ROUNDS),
		/** An agent run whose step fails for good asks the model once, instead of failing. */
		replan_on_failure: z.boolean().default(false),
		budget: BudgetSchema.default({}),
	})
	.strict();
export type RunOptions = z.infer<typeof RunOptionsSchema>;
