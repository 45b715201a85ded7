import { describe, expect, it } from "vitest";
import { take } from "../src/engine/resilience/token-bucket";

describe("token bucket", () => {
	const config = { capacity: 3, refill_per_s: 2 };

	it("starts full and spends a token per take", () => {
		let bucket = take(undefined, 1, 0, config).bucket;
		expect(bucket.tokens).toBe(2);
		bucket = take(bucket, 2, 0, config).bucket;
		expect(take(bucket, 1, 0, config)).toEqual({
			allowed: false,
			bucket: { tokens: 0, updated_at: 0 },
			retry_after_ms: 500,
		});
	});

	it("refills continuously up to the capacity", () => {
		const empty = { tokens: 0, updated_at: 0 };
		expect(take(empty, 1, 499, config).allowed).toBe(false);
		expect(take(empty, 1, 500, config).allowed).toBe(true);
		expect(take(empty, 1, 60_000, config).bucket.tokens).toBe(2);
	});
});
