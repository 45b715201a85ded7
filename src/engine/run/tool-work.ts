import { z } from "zod";
import type { RunState } from "./state";

/**
 * The message a queued step's attempt travels in, from the run's object to the queue consumer.
 * Everything the consumer needs is in it; the report goes back to `run_id` over RPC.
 */
export const ToolWorkSchema = z
	.object({
		run_id: z.string().regex(/^[0-9a-f]{64}$/),
		tenant: z.string().min(1),
		step_number: z.number().int().min(1),
		attempt: z.number().int().min(1),
		idempotency_key: z.string().min(1),
		tool: z.string().min(1),
		input: z.json(),
		timeout_ms: z.number().int().min(1),
	})
	.strict();

export type ToolWork = z.infer<typeof ToolWorkSchema>;

/**
 * Whether a delivery for `attempt` of a step may still change the run: only the current attempt
 * of a step running on the queue counts. A repeat of a settled attempt is a duplicate; anything
 * else (an older attempt, a finished run, a step no longer queued) is late.
 */
export function deliveryVerdict(
	state: RunState,
	stepNumber: number,
	attempt: number,
): "current" | "duplicate" | "late" {
	const step = state.execution_log.find((candidate) => candidate.step_number === stepNumber);
	if (!step || step.attempts !== attempt) return "late";
	if (step.status === "running" && step.deadline_at !== null) return "current";
	return step.status === "running" ? "late" : "duplicate";
}
