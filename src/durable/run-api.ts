/**
 * The contract between the Worker (and the other objects) and a run's RunObject: what a new run
 * is made of, what control calls answer, and every method callers may use.
 */
import type { Json } from "../engine/json";
import type { Result } from "../engine/result";
import type { Refusal } from "../engine/run/commands";
import type { RunEvent, RunEventData } from "../engine/run/events";
import type { Creation, KeyClaim } from "../engine/run/idempotency";
import type { RunState, RunView } from "../engine/run/state";
import type { ToolResult } from "../engine/tools/types";

/** What a new run is made of: its run_created payload, plus a fork's reused outputs. */
export type RunInit = Omit<Extract<RunEventData, { type: "run_created" }>, "type"> & {
	/** Outputs a fork takes over instead of running their steps. */
	reused: Array<{ step: number; output: Json }>;
	request_id: string;
};

/**
 * A run as the archive consumer reads it from its object, when the log was too long to travel in
 * the request: the log only once the run has finished.
 */
export interface ArchiveRecord {
	state: RunState;
	events: RunEvent[] | null;
}

/** Set by the Worker on WebSocket upgrades it forwards: the authenticated tenant. */
export const RUN_TENANT_HEADER = "X-Run-Tenant";

export type ControlResult = Result<RunView, Refusal>;

/**
 * The RunObject's RPC contract: RunObject implements it, so the class and its callers cannot
 * drift apart.
 */
export interface RunApi {
	create(init: RunInit): Promise<Creation>;
	peekKey(tenant: string, requestHash: string): Promise<KeyClaim>;
	view(tenant: string): Promise<RunView | null>;
	events(tenant: string, afterSeq?: number, limit?: number): Promise<RunEvent[] | null>;
	nextEvent(tenant: string, afterSeq: number, timeoutMs?: number): Promise<RunEvent | null>;
	cancel(tenant: string, compensate: boolean, reason: string | null): Promise<ControlResult>;
	retry(tenant: string): Promise<ControlResult>;
	approve(tenant: string, step: number): Promise<ControlResult>;
	reject(tenant: string, step: number, reason: string): Promise<ControlResult>;
	fetch(request: Request): Promise<Response>;
	beginDelivery(tenant: string, step: number, attempt: number): Promise<boolean>;
	reportDelivery(
		tenant: string,
		step: number,
		attempt: number,
		result: ToolResult,
	): Promise<boolean>;
	noteDeliveryFailure(
		tenant: string,
		step: number,
		attempt: number,
		delivery: number,
		error: string,
	): Promise<void>;
	deadLettered(tenant: string, step: number, attempt: number): Promise<boolean>;
	archiveRecord(tenant: string): Promise<ArchiveRecord | null>;
}

/** The typed stub of one run's object. */
export function runClient(
	env: Env,
	id: DurableObjectId,
): DurableObjectStub<RunApi & Rpc.DurableObjectBranded> {
	return env.RUNS.get(id);
}
