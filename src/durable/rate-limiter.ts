/**
 * RateLimiter: one object per tenant (idFromName), so every mutating request of a tenant, from any
 * Worker anywhere, draws from one exact token bucket, and its live runs are counted exactly. The
 * bucket arithmetic is src/engine/resilience/token-bucket.ts.
 *
 * Live runs: a run holds a slot from creation until its object archives it, which the archive
 * outbox retries until it lands, so every finished run gives its slot back. Replays of an
 * Idempotency-Key take none, and a slot whose run is gone is dropped when the tenant is full.
 */
import { DurableObject } from "cloudflare:workers";
import { type Bucket, type BucketConfig, type Take, take } from "../engine/resilience/token-bucket";

/** A slot younger than this may belong to a run still being created: never checked. */
const SLOT_CHECK_AGE_MS = 60_000;

export class RateLimiter extends DurableObject<Env> {
	async take(cost: number, config: BucketConfig): Promise<Take> {
		const result = take(this.ctx.storage.kv.get<Bucket>("bucket"), cost, Date.now(), config);
		this.ctx.storage.kv.put("bucket", result.bucket);
		return result;
	}

	/**
	 * Takes a live-run slot for `runId` if fewer than `limit` are held; idempotent per run. At the
	 * limit, slots older than SLOT_CHECK_AGE_MS whose run is gone or finished are dropped first,
	 * so a slot lost to a crash between acquire and create (or any other leak) cannot block the
	 * tenant for good. `taken` is false when the run already held its slot (a keyed repeat racing
	 * its original).
	 */
	async acquireRun(
		runId: string,
		limit: number,
	): Promise<{ ok: boolean; live: number; taken: boolean }> {
		const key = `live:${runId}`;
		if (this.ctx.storage.kv.get(key)) return { ok: true, live: this.liveCount(), taken: false };
		let live = this.liveCount();
		if (live >= limit) live -= await this.dropStaleSlots();
		if (live >= limit) return { ok: false, live, taken: false };
		this.ctx.storage.kv.put(key, Date.now());
		return { ok: true, live: live + 1, taken: true };
	}

	async releaseRun(runId: string): Promise<void> {
		this.ctx.storage.kv.delete(`live:${runId}`);
	}

	private liveCount(): number {
		return [...this.ctx.storage.kv.list({ prefix: "live:" })].length;
	}

	private async dropStaleSlots(): Promise<number> {
		const cutoff = Date.now() - SLOT_CHECK_AGE_MS;
		const old = [...this.ctx.storage.kv.list<number>({ prefix: "live:" })]
			.filter(([, takenAt]) => takenAt < cutoff)
			.map(([key]) => key.slice("live:".length));
		const live = await Promise.all(old.map((runId) => this.runIsLive(runId)));
		const gone = old.filter((_, index) => !live[index]);
		for (const runId of gone) this.ctx.storage.kv.delete(`live:${runId}`);
		return gone.length;
	}

	private async runIsLive(runId: string): Promise<boolean> {
		try {
			return await this.env.RUNS.get(this.env.RUNS.idFromString(runId)).isLive();
		} catch {
			// Unsure is live: a slot is only dropped on the run's own word.
			return true;
		}
	}
}
