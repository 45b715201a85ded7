import type { RunEvent } from "../engine/run/events";
import type { RunView } from "../engine/run/state";
import type { ToolResult } from "../engine/tools/types";
import type { ControlResult, RunInit } from "./run-object";

/** The RunObject's RPC surface, as callers in the Worker use it. */
export interface RunClient {
	create(init: RunInit): Promise<RunView>;
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
}

/**
 * A typed stub for one run. The cast is deliberate: the generated RPC types recurse through the
 * Json type of plans and outputs until TypeScript gives up, while these plain signatures are
 * exactly what the object's methods return after structured cloning.
 */
export function runClient(env: Env, id: DurableObjectId): RunClient {
	return env.RUNS.get(id) as unknown as RunClient;
}
