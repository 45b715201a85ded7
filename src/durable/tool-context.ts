import { httpAllowlist } from "../config";
import type { RunState } from "../engine/run/state";
import type { ToolContext } from "../engine/tools/types";
import { todoPortFor } from "./todo-port";

/**
 * What a tool sees of its run: ids, the attempt, an abort signal, and the platform services. The
 * idempotency key is the run and step, the same on every attempt, so a repeat applies once.
 */
export function toolContextFor(
	env: Env,
	state: Pick<RunState, "run_id" | "tenant">,
	stepNumber: number,
	attempt: number,
	signal: AbortSignal,
): ToolContext {
	return {
		runId: state.run_id,
		tenant: state.tenant,
		stepNumber,
		attempt,
		idempotencyKey: `${state.run_id}:${stepNumber}`,
		signal,
		services: {
			todos: todoPortFor(env.TODOS, state.tenant),
			http: { allowlist: httpAllowlist(env) },
		},
	};
}
