import { z } from "zod";
import { type Json, JsonSchema } from "../json";
import { err, ok, type Result } from "../result";
import type { TenantToolDefinition } from "../tools/tenant/definition";
import { fail, type ToolResult } from "../tools/types";
import { effectKey } from "./effect-key";
import type { RunEventData } from "./events";
import { isTerminal, type RunState, type StepState } from "./state";

/** Cloudflare Queues takes messages up to 128 KB; this leaves room for its own envelope. */
export const MAX_TOOL_WORK_BYTES = 120 * 1024;

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
		input: JsonSchema,
		timeout_ms: z.number().int().min(1),
		/** The attempt's span, so the delivery and what it calls join the run's trace. */
		traceparent: z.string().max(256).optional(),
		/** A tenant's tool, as the run recorded it: the consumer runs exactly that version. */
		definition: z
			.custom<TenantToolDefinition>((value) => typeof value === "object" && value !== null)
			.optional(),
	})
	.strict();

export type ToolWork = z.infer<typeof ToolWorkSchema>;

/**
 * The message for one attempt of a queued step, or the failure of an input too large to travel.
 * The idempotency key is the step's effect key (effect-key.ts), as for inline attempts.
 */
export function toolWorkFor(
	state: Pick<RunState, "run_id" | "tenant"> & Partial<Pick<RunState, "tools">>,
	step: Pick<StepState, "step_number" | "effect_generation" | "tool"> & {
		attempt: number;
		input: Json;
		timeout_ms: number;
		traceparent?: string;
	},
): { work: ToolWork } | { failure: ToolResult } {
	const work: ToolWork = {
		run_id: state.run_id,
		tenant: state.tenant,
		step_number: step.step_number,
		attempt: step.attempt,
		idempotency_key: effectKey(state.run_id, step),
		tool: step.tool,
		input: step.input,
		timeout_ms: step.timeout_ms,
		...(step.traceparent ? { traceparent: step.traceparent } : {}),
	};
	const definition = state.tools?.find((tool) => tool.name === step.tool);
	if (definition) work.definition = definition;
	const bytes = new TextEncoder().encode(JSON.stringify(work)).byteLength;
	if (bytes <= MAX_TOOL_WORK_BYTES) return { work };
	const message = `The step's input is ${bytes} bytes; a queued step takes at most ${MAX_TOOL_WORK_BYTES}`;
	return { failure: fail("input_too_large", message) };
}

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

/**
 * A queued attempt: its deadline is logged (step_queued) before the message leaves, so a crash
 * in between costs one timed-out attempt, never a step stuck running. An input too large to
 * travel fails the attempt instead of leaving.
 */
export function queueAttempt(
	state: Pick<RunState, "run_id" | "tenant"> & Partial<Pick<RunState, "tools">>,
	step: Pick<StepState, "step_number" | "effect_generation" | "tool">,
	attempt: {
		attempt: number;
		input: Json;
		timeout_ms: number;
		deadline: number;
		traceparent?: string;
	},
): { event: RunEventData; work: ToolWork } | { event: RunEventData; failure: ToolResult } {
	const event: RunEventData = {
		type: "step_queued",
		step: step.step_number,
		attempt: attempt.attempt,
		deadline: new Date(attempt.deadline).toISOString(),
	};
	const built = toolWorkFor(state, { ...step, ...attempt });
	return "work" in built ? { event, work: built.work } : { event, failure: built.failure };
}

/**
 * What becomes of a delivery: the current attempt's is admitted; any other is refused, and
 * recorded as ignored on a live run. A finished run's log is archived as it stands, so there a
 * straggler is only logged (`event` null).
 */
export function deliveryDecision(
	state: RunState,
	step: number,
	attempt: number,
	source: "consumer" | "dead_letter",
): Result<void, { reason: "duplicate" | "late"; event: RunEventData | null }> {
	const verdict = deliveryVerdict(state, step, attempt);
	if (verdict === "current") return ok(undefined);
	const event: RunEventData = {
		type: "step_delivery_ignored",
		step,
		attempt,
		reason: verdict,
		source,
	};
	return err({ reason: verdict, event: isTerminal(state) ? null : event });
}

/** A delivery the consumer could not finish, recorded only for the current attempt. */
export function deliveryFailure(
	state: RunState,
	step: number,
	attempt: number,
	delivery: number,
	error: string,
): RunEventData | null {
	if (deliveryVerdict(state, step, attempt) !== "current") return null;
	return { type: "step_delivery_failed", step, attempt, delivery, error: error.slice(0, 500) };
}
