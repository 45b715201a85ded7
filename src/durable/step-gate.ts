import type { Logger } from "../engine/log";
import type { GateVerdict } from "../engine/run/attempt";
import { gateName } from "../engine/tools/tenant/definition";
import type { ToolResult } from "../engine/tools/types";
import type { Settings } from "../settings";
import { BulkheadLeases, leaseIdFor } from "./bulkhead-leases";
import { ToolBreakers } from "./tool-breakers";

/** The attempt a gate is asked about. */
export interface GatedAttempt {
	runId: string;
	tenant: string;
	tool: string;
	step: number;
	attempt: number;
	/** Queued attempts take bulkhead slots; inline ones do not (see bulkhead-leases.ts). */
	queued: boolean;
}

/**
 * What stands between a ready step and its tool: a queued step's bulkhead slots, then the tool's
 * circuit breaker; and, when the attempt ends, the breaker told and the slots handed back.
 */
export class StepGate {
	private readonly breakers: ToolBreakers;
	private readonly leases: BulkheadLeases;

	constructor(
		env: Env,
		settings: Settings,
		private readonly logger: () => Logger,
	) {
		this.breakers = new ToolBreakers(env, settings);
		this.leases = new BulkheadLeases(env, settings);
	}

	/**
	 * Slots first, so a step that would wait anyway does not take the breaker's half-open trial.
	 * Never throws: an object that cannot be reached is a verdict, so the run's alarm carries on.
	 */
	async enter(attempt: GatedAttempt, slotTtlMs: number): Promise<GateVerdict> {
		try {
			if (attempt.queued) {
				const lease = leaseIdFor(attempt.runId, attempt.step, attempt.attempt);
				const slots = await this.leases.acquire(
					attempt.runId,
					attempt.tenant,
					gateName(attempt.tenant, attempt.tool),
					lease,
					slotTtlMs,
				);
				if (!slots.ok) return { kind: "full", reason: slots.error };
			}
			const verdict = await this.breakers.admit(gateName(attempt.tenant, attempt.tool));
			if (verdict.ok) return { kind: "go" };
			await this.release(attempt);
			return { kind: "open", retryAt: verdict.error.retryAt };
		} catch (error) {
			this.logger().warn("breaker or bulkhead unreachable", { error: String(error) });
			// Slots taken before the failure expire on their own if this release fails too.
			await this.release(attempt).catch(() => undefined);
			const message = `The gate of '${attempt.tool}' could not be asked: ${String(error)}`;
			return { kind: "unavailable", message: message.slice(0, 500) };
		}
	}

	/**
	 * The attempt is over: its result (if it ran) goes to the breaker, and its slots are freed.
	 * The step's result is already recorded, so a failure here is only logged: a lost breaker
	 * sample costs little, and an unreleased slot expires.
	 */
	async leave(attempt: GatedAttempt, result: ToolResult | null): Promise<void> {
		try {
			if (result) await this.breakers.record(gateName(attempt.tenant, attempt.tool), result);
			await this.release(attempt);
		} catch (error) {
			this.logger().warn("breaker or bulkhead update failed", { error: String(error) });
		}
	}

	private async release(attempt: GatedAttempt): Promise<void> {
		if (!attempt.queued) return;
		const lease = leaseIdFor(attempt.runId, attempt.step, attempt.attempt);
		await this.leases.release(attempt.tenant, gateName(attempt.tenant, attempt.tool), lease);
	}
}
