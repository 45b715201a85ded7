import { z } from "zod";

/** What a run may spend. Every limit is optional; none set means none applies. */
export const BudgetSchema = z
	.object({
		max_steps: z.number().int().min(1).max(1_000),
		max_wall_ms: z
			.number()
			.int()
			.min(1)
			.max(7 * 86_400_000),
		max_llm_tokens: z.number().int().min(1).max(100_000_000),
		max_cost_usd: z.number().positive().max(100_000),
	})
	.partial()
	.strict();
export type Budget = z.infer<typeof BudgetSchema>;
export type BudgetName = keyof Budget;
