/**
 * RateLimiter: one object per tenant (idFromName), so every mutating request of a tenant, from any
 * Worker anywhere, draws from one exact token bucket. The arithmetic is
 * src/engine/resilience/token-bucket.ts.
 */
import { DurableObject } from "cloudflare:workers";
import { type Bucket, type BucketConfig, type Take, take } from "../engine/resilience/token-bucket";

export class RateLimiter extends DurableObject<Env> {
	async take(cost: number, config: BucketConfig): Promise<Take> {
		const result = take(this.ctx.storage.kv.get<Bucket>("bucket"), cost, Date.now(), config);
		this.ctx.storage.kv.put("bucket", result.bucket);
		return result;
	}
}
