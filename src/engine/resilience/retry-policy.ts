import { z } from "zod";

/** How a step is retried and bounded. Defaults apply, then the tool's, then the run's. */
export const RetryPolicySchema = z
	.object({
		max_attempts: z.number().int().min(1).max(10),
		base_delay_ms: z.number().int().min(0).max(60_000),
		max_delay_ms: z.number().int().min(0).max(600_000),
		timeout_ms: z.number().int().min(1).max(600_000),
	})
	.strict();

export type RetryPolicy = z.infer<typeof RetryPolicySchema>;

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
	max_attempts: 3,
	base_delay_ms: 200,
	max_delay_ms: 10_000,
	timeout_ms: 10_000,
};

/** The effective policy for one step: defaults, overridden by the tool, overridden by the run. */
export function resolvePolicy(
	tool: Partial<RetryPolicy> | undefined,
	run: Partial<RetryPolicy> | undefined,
): RetryPolicy {
	return { ...DEFAULT_RETRY_POLICY, ...tool, ...run };
}

/**
 * Exponential backoff with full jitter: a uniform delay in [0, min(cap, base * 2^(attempt-1))).
 * Full jitter spreads retries of many runs that failed together, so they don't stampede a
 * recovering dependency. `random` is injected so tests are deterministic.
 */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number): number {
	const ceiling = Math.min(policy.max_delay_ms, policy.base_delay_ms * 2 ** (attempt - 1));
	return Math.floor(random() * ceiling);
}

/** Whether a failed attempt gets another try. */
export function shouldRetry(attempt: number, retryable: boolean, policy: RetryPolicy): boolean {
	return retryable && attempt < policy.max_attempts;
}
