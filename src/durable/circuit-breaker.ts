/**
 * CircuitBreaker: one object per guarded dependency (idFromName, e.g. "llm:<base url>"), shared by
 * every run and request, so an outage is learnt once, not once per caller. The state machine is
 * src/engine/resilience/circuit-breaker.ts; this object only stores it and logs transitions.
 */
import { DurableObject } from "cloudflare:workers";
import { loggerFor } from "../config";
import {
	type Admission,
	admit,
	type BreakerConfig,
	type BreakerState,
	type CallOutcome,
	normaliseBreaker,
	recordOutcome,
} from "../engine/resilience/circuit-breaker";
import { recordPoint } from "../metrics";
import { settingsFor } from "../settings";

export class CircuitBreaker extends DurableObject<Env> {
	private read(): BreakerState {
		return normaliseBreaker(this.ctx.storage.kv.get<Partial<BreakerState>>("state"));
	}

	async admit(name: string, config: BreakerConfig): Promise<Admission> {
		const admission = admit(this.read(), Date.now(), config);
		this.ctx.storage.kv.put("state", admission.state);
		if (admission.transition) this.logTransition(name, admission.transition);
		return admission;
	}

	/** One call's outcome, with the successes a caller counted locally since its last report. */
	async record(
		name: string,
		outcome: CallOutcome,
		config: BreakerConfig,
		batchedSuccesses = 0,
	): Promise<BreakerState> {
		const { state, transition } = recordOutcome(
			this.read(),
			outcome,
			Date.now(),
			config,
			batchedSuccesses,
		);
		this.ctx.storage.kv.put("state", state);
		if (transition) this.logTransition(name, transition);
		return state;
	}

	async snapshot(): Promise<BreakerState> {
		return this.read();
	}

	private logTransition(name: string, to: string): void {
		loggerFor(settingsFor(this.env), { breaker: name }).warn("circuit breaker transition", { to });
		recordPoint(this.env, { kind: "breaker", tenant: "*", labels: [name, to] });
	}
}
