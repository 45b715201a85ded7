/**
 * Bulkhead: one object per scope ("tenant:<name>" or "tool:<name>", idFromName) counting the
 * queued steps running in it. A slot is a lease with an expiry, so a slot whose holder was
 * cancelled, crashed or lost its report frees itself even if nobody releases it. Runs turned
 * away are remembered, oldest first, and each release wakes the longest-waiting one, so a freed
 * slot is taken at once instead of at the next poll.
 */
import { DurableObject } from "cloudflare:workers";

const PREFIX = "lease:";

export class Bulkhead extends DurableObject<Env> {
	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
		ctx.storage.sql.exec(
			"CREATE TABLE IF NOT EXISTS waiters (run_id TEXT PRIMARY KEY, since INTEGER NOT NULL)",
		);
	}

	/**
	 * Takes a slot for `leaseId` if fewer than `limit` live leases are held; idempotent per id.
	 * Refused, `waiter` (a run id) is woken when a slot is released.
	 */
	async acquire(
		leaseId: string,
		limit: number,
		ttlMs: number,
		waiter?: string,
	): Promise<{ granted: boolean; held: number }> {
		const held = this.live();
		const key = PREFIX + leaseId;
		if (this.ctx.storage.kv.get(key) !== undefined) return { granted: true, held };
		if (held >= limit) {
			if (waiter) {
				this.ctx.storage.sql.exec(
					"INSERT OR IGNORE INTO waiters (run_id, since) VALUES (?, ?)",
					waiter,
					Date.now(),
				);
			}
			return { granted: false, held };
		}
		this.ctx.storage.kv.put(key, Date.now() + ttlMs);
		return { granted: true, held: held + 1 };
	}

	/** Frees `leaseId`'s slot and, unless told not to, wakes the longest-waiting run. */
	async release(leaseId: string, wake = true): Promise<void> {
		const key = PREFIX + leaseId;
		if (this.ctx.storage.kv.get(key) === undefined) return;
		this.ctx.storage.kv.delete(key);
		if (!wake) return;
		const [next] = this.ctx.storage.sql
			.exec<{ run_id: string }>("SELECT run_id FROM waiters ORDER BY since LIMIT 1")
			.toArray();
		if (!next) return;
		this.ctx.storage.sql.exec("DELETE FROM waiters WHERE run_id = ?", next.run_id);
		// Not awaited: the releasing run must not wait on the woken one. A lost wake-up costs
		// the waiter its next poll, nothing more.
		const run = this.env.RUNS.get(this.env.RUNS.idFromString(next.run_id));
		this.ctx.waitUntil(run.slotFreed().catch(() => {}));
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
