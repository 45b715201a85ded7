import { describe, expect, it } from "vitest";
import {
	backoffDelay,
	DEFAULT_RETRY_POLICY,
	resolvePolicy,
	shouldRetry,
} from "../src/engine/resilience/retry-policy";

describe("retry policy", () => {
	it("defaults to 3 attempts, 200 ms base, 10 s cap and a 10 s timeout", () => {
		expect(DEFAULT_RETRY_POLICY).toEqual({
			max_attempts: 3,
			base_delay_ms: 200,
			max_delay_ms: 10_000,
			timeout_ms: 10_000,
		});
	});

	it("lets the tool override the defaults and the run override both", () => {
		expect(resolvePolicy({ max_attempts: 5, timeout_ms: 1_000 }, { max_attempts: 2 })).toEqual({
			max_attempts: 2,
			base_delay_ms: 200,
			max_delay_ms: 10_000,
			timeout_ms: 1_000,
		});
	});

	it("doubles the backoff ceiling per attempt up to the cap, with full jitter below it", () => {
		const almostOne = () => 0.999_999;
		expect(
			[1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(n, DEFAULT_RETRY_POLICY, almostOne)),
		).toEqual([199, 399, 799, 1599, 3199, 6399, 9999, 9999]);
		expect(backoffDelay(3, DEFAULT_RETRY_POLICY, () => 0)).toBe(0);
		expect(backoffDelay(3, DEFAULT_RETRY_POLICY, () => 0.25)).toBe(200);
	});

	it("retries only transient failures with attempts left", () => {
		expect(shouldRetry(1, true, DEFAULT_RETRY_POLICY)).toBe(true);
		expect(shouldRetry(2, true, DEFAULT_RETRY_POLICY)).toBe(true);
		expect(shouldRetry(3, true, DEFAULT_RETRY_POLICY)).toBe(false);
		expect(shouldRetry(1, false, DEFAULT_RETRY_POLICY)).toBe(false);
	});
});
