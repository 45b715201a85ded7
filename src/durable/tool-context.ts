import type { RunState } from "../engine/run/state";
import type { ToolContext } from "../engine/tools/types";
import type { Span } from "../engine/trace";
import type { Settings } from "../settings";
import { llmPortFor } from "./llm-port";
import { tenantToolPort } from "./tenant-tools";
import { todoPortFor } from "./todo-port";

/**
 * What a tool sees of its run: ids, the attempt, an abort signal, and the platform services. The
 * idempotency key comes from the engine (effect-key.ts): the same on every attempt of one effect.
 */
export function toolContextFor(
	env: Env,
	settings: Settings,
	state: Pick<RunState, "run_id" | "tenant">,
	attempt: { stepNumber: number; attempt: number; idempotencyKey: string; trace?: Span },
	signal: AbortSignal,
): ToolContext {
	const llm = llmPortFor(env, settings);
	return {
		runId: state.run_id,
		tenant: state.tenant,
		...attempt,
		signal,
		services: {
			todos: todoPortFor(env.TODOS, state.tenant),
			http: { allowlist: settings.HTTP_ALLOWLIST },
			tenantTools: tenantToolPort(env, settings, state.tenant),
			...(llm ? { llm } : {}),
		},
	};
}
