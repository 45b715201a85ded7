/**
 * Per-tool circuit breakers, one CircuitBreaker object per tool ("tool:<name>") shared by every
 * run. Asking the object before and after every step would put an RPC on every step's path, so
 * each isolate keeps the last state it saw for up to a second: while that says closed, steps
 * start and succeed without a call; failures are always reported, and whatever the object
 * answers is cached. Another isolate's verdict therefore reaches this one within a second.
 */
import { breakerConfigFor } from "../config";
import type { BreakerState } from "../engine/resilience/circuit-breaker";
import type { ToolResult } from "../engine/tools/types";

const FRESH_MS = 1_000;
const seen = new Map<string, { state: BreakerState; at: number }>();

export type BreakerVerdict = { allowed: true } | { allowed: false; retryAt: number };

export function breakerName(tool: string): string {
	return `tool:${tool}`;
}

export class ToolBreakers {
	constructor(private readonly env: Env) {}

	async admit(tool: string, now = Date.now()): Promise<BreakerVerdict> {
		const config = breakerConfigFor(this.env, tool);
		const cached = fresh(tool, now);
		if (cached?.status === "closed") return { allowed: true };
		const reopensAt = (cached?.opened_at ?? 0) + config.cool_down_ms;
		if (cached?.status === "open" && reopensAt > now) return { allowed: false, retryAt: reopensAt };
		const admission = await this.stub(tool).admit(breakerName(tool), config);
		seen.set(tool, { state: admission.state, at: Date.now() });
		return admission.allowed
			? { allowed: true }
			: { allowed: false, retryAt: admission.retry_at ?? now + FRESH_MS };
	}

	/**
	 * Tells the breaker how an admitted attempt went. Only transient failures count against a
	 * tool: a deterministic one (bad input, division by zero) says nothing about its health.
	 */
	async record(tool: string, result: ToolResult): Promise<void> {
		if (!result.success && (!result.error.retryable || result.error.code === "circuit_open"))
			return;
		if (result.success && fresh(tool, Date.now())?.status === "closed") return;
		const state = await this.stub(tool).record(
			breakerName(tool),
			result.success,
			breakerConfigFor(this.env, tool),
		);
		seen.set(tool, { state, at: Date.now() });
	}

	private stub(tool: string) {
		return this.env.BREAKERS.get(this.env.BREAKERS.idFromName(breakerName(tool)));
	}
}

function fresh(tool: string, now: number): BreakerState | undefined {
	const entry = seen.get(tool);
	return entry && now - entry.at < FRESH_MS ? entry.state : undefined;
}

/** What GET /tools and /health show of a tool's breaker. */
export interface BreakerReport {
	status: BreakerState["status"];
	opened_at: string | null;
	recent_failures: number;
	counters: BreakerState["counters"];
}

/** Each tool's breaker as its object holds it now, read in parallel. */
export async function breakerReports(
	env: Env,
	tools: readonly string[],
): Promise<Record<string, BreakerReport>> {
	const states = await Promise.all(
		tools.map((tool) => env.BREAKERS.get(env.BREAKERS.idFromName(breakerName(tool))).snapshot()),
	);
	return Object.fromEntries(
		states.map((state, index) => [
			tools[index],
			{
				status: state.status,
				opened_at: state.opened_at === null ? null : new Date(state.opened_at).toISOString(),
				recent_failures: state.failures.length,
				counters: state.counters,
			},
		]),
	);
}
