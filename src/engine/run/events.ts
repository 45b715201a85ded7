import type { Json } from "../json";
import type { Plan, RunPolicy } from "../plan/model";

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
			policy: RunPolicy;
	  }
	| { type: "run_started" }
	| { type: "step_started"; step: number; attempt: number; input: Json }
	| { type: "step_succeeded"; step: number; attempt: number; output: Json }
	| {
			type: "step_retry_scheduled";
			step: number;
			attempt: number;
			error: StepError;
			retry_at: string;
	  }
	| { type: "step_failed"; step: number; attempt: number; error: StepError }
	| { type: "step_skipped"; step: number; reason: string }
	| { type: "run_completed"; result: Json }
	| { type: "run_failed"; error: RunError };

export type RunEventType = RunEventData["type"];

/** One entry of the log: a payload with its sequence number (from 1, no gaps) and time. */
export interface RunEvent {
	seq: number;
	at: string;
	data: RunEventData;
}
