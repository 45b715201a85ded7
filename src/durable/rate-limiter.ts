/**
 * RateLimiter: one object per tenant (idFromName), so every mutating request of a tenant, from any
 * Worker anywhere, draws from one exact token bucket, and its live runs are counted exactly. The
 * bucket arithmetic is src/engine/resilience/token-bucket.ts.
 *
 * Live runs: a run holds a slot from creation until its object archives it, which the archive
 * outbox retries until it lands, so every finished run gives its slot back.
 */
import { DurableObject } from "cloudflare:workers";
import { type Bucket, type BucketConfig, type Take, take } from "../engine/resilience/token-bucket";

export class RateLimiter extends DurableObject<Env> {
	async take(cost: number, config: BucketConfig): Promise<Take> {
		const result = take(this.ctx.storage.kv.get<Bucket>("bucket"), cost, Date.now(), config);
		this.ctx.storage.kv.put("bucket", result.bucket);
		return result;
	}

	/** Takes a live-run slot for `runId` if fewer than `limit` are held; idempotent per run. */
	async acquireRun(runId: string, limit: number): Promise<{ ok: boolean; live: number }> {
		const key = `live:${runId}`;
		const live = [...this.ctx.storage.kv.list({ prefix: "live:" })].length;
		if (this.ctx.storage.kv.get(key)) return { ok: true, live };
		if (live >= limit) return { ok: false, live };
		this.ctx.storage.kv.put(key, Date.now());
		return { ok: true, live: live + 1 };
	}

	async releaseRun(runId: string): Promise<void> {
		this.ctx.storage.kv.delete(`live:${runId}`);
	}
}
