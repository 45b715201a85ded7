import type { Json } from "../json";
import type { BudgetName } from "../plan/budget";
import type { Plan, RunOptions, Step } from "../plan/model";
import type { TenantToolDefinition } from "../tools/tenant/definition";
import type { Span } from "../trace";
import type { LlmSpend } from "./budget";

export interface StepError {
	code: string;
	message: string;
}

export interface RunError extends StepError {
	step: number | null;
}

/**
 * Everything that happens to a run, as the payloads of its append-only log. The state the API
 * shows is a fold of these (see reducer.ts); nothing else about a run is stored.
 */
export type RunEventData =
	| {
			type: "run_created";
			run_id: string;
			tenant: string;
			prompt: string | null;
			plan: Plan;
			options: RunOptions;
			forked_from: { run_id: string; from_step: number | null } | null;
			/** The run's span of the trace of the request that created it (W3C Trace Context). */
			trace?: Span | null;
			/** The run holds one of its tenant's live-run slots, to give back when it finishes. */
			live_slot?: boolean;
			/**
			 * The tenant's own tools the plan uses, as defined when it was planned: a later version
			 * or a delete changes nothing for this run. No secrets: those are read at call time.
			 */
			tools?: TenantToolDefinition[];
			/** Planning rounds already behind the plan (a fork of an agent run carries them on). */
			rounds?: number;
			/**
			 * SHA-256 of the body of the keyed request that created the run (Idempotency-Key): a
			 * repeat with the same body is answered with this run, another body is a conflict.
			 */
			request_hash?: string;
	  }
	| { type: "run_started" }
	/** An agent run's planning round added steps, numbered after the existing ones. */
	| {
			type: "plan_extended";
			round: number;
			/** The model's stated reason for the steps it added. */
			reason: string;
			steps: Step[];
			spend: LlmSpend;
			/** Tenant tools the new steps use that the run had not recorded yet. */
			tools?: TenantToolDefinition[];
			/** The round answered a failed step (replan_on_failure): failures so far stand aside. */
			after_failure?: boolean;
	  }
	/** An agent run's loop ended: the model said the goal is met, or the rounds ran out. */
	| {
			type: "agent_finished";
			outcome: "goal_met" | "max_rounds";
			reason: string;
			spend: LlmSpend;
	  }
	/** A budget is spent: nothing more starts; running steps finish, then the run fails. */
	| { type: "budget_exceeded"; budget: BudgetName; used: number; limit: number }
	/** A forked run takes this step's recorded output instead of running it. */
	| { type: "step_reused"; step: number; output: Json }
	| { type: "step_started"; step: number; attempt: number; input: Json }
	/** A queued attempt's message is on the queue; without a report by `deadline` it times out. */
	| { type: "step_queued"; step: number; attempt: number; deadline: string }
	/** A queue delivery that was not the step's current attempt: late, or a repeat. Nothing changes. */
	| {
			type: "step_delivery_ignored";
			step: number;
			attempt: number;
			reason: "duplicate" | "late";
			source: "consumer" | "dead_letter";
	  }
	/** The consumer could not finish a delivery; the queue redelivers it or dead-letters it. */
	| { type: "step_delivery_failed"; step: number; attempt: number; delivery: number; error: string }
	/** A bulkhead is full: the step waits, ready, until a slot frees. */
	| { type: "step_waiting"; step: number; reason: string }
	/**
	 * A gate refused the step before it started (an open breaker): it waits until `until`
	 * without spending an attempt; `deferrals` on the step counts these against their own budget.
	 */
	| { type: "step_deferred"; step: number; reason: string; until: string }
	/** A durable wait: the step holds no CPU until `until`, then succeeds. */
	| { type: "step_sleeping"; step: number; until: string }
	| { type: "step_succeeded"; step: number; attempt: number; output: Json }
	| {
			type: "step_retry_scheduled";
			step: number;
			attempt: number;
			error: StepError;
			retry_at: string;
			/** What a failed model call still cost (llm.generate): it counts against the budget. */
			spend?: LlmSpend;
	  }
	| { type: "step_failed"; step: number; attempt: number; error: StepError; spend?: LlmSpend }
	| { type: "step_skipped"; step: number; reason: string }
	| { type: "step_cancelled"; step: number; reason: string }
	| { type: "approval_requested"; step: number; expires_at: string }
	| { type: "step_approved"; step: number }
	| { type: "step_rejected"; step: number; reason: string }
	| { type: "step_compensated"; step: number; output: Json }
	| { type: "step_compensation_failed"; step: number; error: StepError }
	| { type: "run_cancel_requested"; compensate: boolean; reason: string | null }
	| { type: "run_retried"; steps: number[] }
	| { type: "run_completed"; result: Json }
	| { type: "run_failed"; error: RunError; spend?: LlmSpend }
	| { type: "run_cancelled" };

/** One entry of the log: a payload with its sequence number (from 1, no gaps) and time. */
export interface RunEvent {
	seq: number;
	at: string;
	data: RunEventData;
}
