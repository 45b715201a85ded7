/** A token bucket as data: `capacity` tokens at most, refilled continuously at `refill_per_s`. */
export interface BucketConfig {
	capacity: number;
	refill_per_s: number;
}

export interface Bucket {
	tokens: number;
	updated_at: number;
}

export interface Take {
	allowed: boolean;
	bucket: Bucket;
	/** How long until `cost` tokens are there again; 0 when allowed. */
	retry_after_ms: number;
}

/** Takes `cost` tokens if the bucket holds them at `now`. */
export function take(
	bucket: Bucket | undefined,
	cost: number,
	now: number,
	config: BucketConfig,
): Take {
	const elapsed = bucket ? Math.max(0, now - bucket.updated_at) / 1000 : 0;
	const tokens = Math.min(
		config.capacity,
		(bucket?.tokens ?? config.capacity) + elapsed * config.refill_per_s,
	);
	if (tokens >= cost)
		return { allowed: true, bucket: { tokens: tokens - cost, updated_at: now }, retry_after_ms: 0 };
	const missing = cost - tokens;
	const retryAfter =
		config.refill_per_s > 0
			? Math.ceil((missing / config.refill_per_s) * 1000)
			: Number.POSITIVE_INFINITY;
	return { allowed: false, bucket: { tokens, updated_at: now }, retry_after_ms: retryAfter };
}
