/**
 * Bulkhead: one object per scope ("tenant:<name>" or "tool:<name>", idFromName) counting the
 * queued steps running in it. A slot is a lease with an expiry, so a slot whose holder was
 * cancelled, crashed or lost its report frees itself even if nobody releases it.
 */
import { DurableObject } from "cloudflare:workers";

const PREFIX = "lease:";

export class Bulkhead extends DurableObject<Env> {
	/** Takes a slot for `leaseId` if fewer than `limit` live leases are held; idempotent per id. */
	async acquire(
		leaseId: string,
		limit: number,
		ttlMs: number,
	): Promise<{ granted: boolean; held: number }> {
		const held = this.live();
		const key = PREFIX + leaseId;
		if (this.ctx.storage.kv.get(key) !== undefined) return { granted: true, held };
		if (held >= limit) return { granted: false, held };
		this.ctx.storage.kv.put(key, Date.now() + ttlMs);
		return { granted: true, held: held + 1 };
	}

	async release(leaseId: string): Promise<void> {
		this.ctx.storage.kv.delete(PREFIX + leaseId);
	}

	/** Live leases now; expired ones are deleted on the way. */
	async held(): Promise<number> {
		return this.live();
	}

	private live(): number {
		const now = Date.now();
		let held = 0;
		for (const [key, expiresAt] of this.ctx.storage.kv.list<number>({ prefix: PREFIX })) {
			if (expiresAt <= now) this.ctx.storage.kv.delete(key);
			else held += 1;
		}
		return held;
	}
}
