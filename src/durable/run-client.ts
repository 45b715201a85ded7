import type { RunEvent } from "../engine/run/events";
import type { RunView } from "../engine/run/state";
import type { RunInit } from "./run-object";

/** The RunObject's RPC surface, as callers in the Worker use it. */
export interface RunClient {
	create(init: RunInit): Promise<RunView>;
	view(): Promise<RunView | null>;
	events(afterSeq?: number, limit?: number): Promise<RunEvent[] | null>;
	nextEvent(afterSeq: number, timeoutMs?: number): Promise<RunEvent | null>;
}

/**
 * A typed stub for one run. The cast is deliberate: the generated RPC types recurse through the
 * Json type of plans and outputs until TypeScript gives up, while these plain signatures are
 * exactly what the object's methods return after structured cloning.
 */
export function runClient(env: Env, id: DurableObjectId): RunClient {
	return env.RUNS.get(id) as unknown as RunClient;
}
