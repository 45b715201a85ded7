import { err, ok, type Result } from "../engine/result";
import { bulkheadLimitsFor, type Settings } from "../settings";

/**
 * The bulkhead slots of queued steps: one in the tenant's Bulkhead and one in the tool's, taken
 * together or not at all. Inline steps take none: they run inside their own run's object, which
 * is isolated per run already; queued steps share the consumers and whatever the tool reaches.
 */
export class BulkheadLeases {
	constructor(
		private readonly env: Env,
		private readonly settings: Settings,
	) {}

	/**
	 * Takes both slots for `leaseId`, or neither: the error says which bulkhead is full. A run
	 * turned away is woken (slotFreed) when that bulkhead next releases a slot.
	 */
	async acquire(
		runId: string,
		tenant: string,
		tool: string,
		leaseId: string,
		ttlMs: number,
	): Promise<Result<void, string>> {
		const granted: string[] = [];
		for (const [scope, limit] of this.scopes(tenant, tool)) {
			const { granted: ok } = await this.stub(scope).acquire(leaseId, limit, ttlMs, runId);
			if (!ok) {
				// Handing back a slot held for an instant wakes nobody: that would only pass the
				// same refusal along the queue of waiters.
				await Promise.all(granted.map((taken) => this.stub(taken).release(leaseId, false)));
				return err(`bulkhead ${scope} is full (${limit} running)`);
			}
			granted.push(scope);
		}
		return ok(undefined);
	}

	async release(tenant: string, tool: string, leaseId: string): Promise<void> {
		await Promise.all(
			this.scopes(tenant, tool).map(([scope]) => this.stub(scope).release(leaseId)),
		);
	}

	private scopes(tenant: string, tool: string): Array<[string, number]> {
		const limits = bulkheadLimitsFor(this.settings, tool);
		const scopes: Array<[string, number]> = [
			[`tenant:${tenant}`, limits.tenant],
			[`tool:${tool}`, limits.tool],
		];
		return scopes.filter(([, limit]) => limit > 0);
	}

	private stub(scope: string) {
		return this.env.LEASES.get(this.env.LEASES.idFromName(scope));
	}
}

/** One lease per attempt, named so it can be released after a restart too. */
export function leaseIdFor(runId: string, step: number, attempt: number): string {
	return `${runId}:${step}:${attempt}`;
}
