/**
 * Per-tool circuit breakers, one CircuitBreaker object per tool ("tool:<name>") shared by every
 * run. Asking the object before and after every step would put an RPC on every step's path, so
 * each isolate keeps the last state it saw for up to a second: while that says closed, steps
 * start without a call, and their successes are counted here and sent along with the next
 * report (a failure, or a success a second after the first unreported one); successes older than
 * the breaker's window are dropped, not sent as if they were new. A failure rate needs the
 * successes too, but not one RPC each. Another isolate's verdict reaches this one within a second.
 */

import {
	type BreakerState,
	type CallOutcome,
	windowTotals,
} from "../engine/resilience/circuit-breaker";
import { err, ok, type Result } from "../engine/result";
import type { ToolResult } from "../engine/tools/types";
import { breakerConfigFor, type Settings } from "../settings";

const FRESH_MS = 1_000;
const seen = new Map<string, { state: BreakerState; at: number }>();
/** Successes counted in this isolate and not yet reported, by tool, since the first of them. */
const unreported = new Map<string, { count: number; since: number }>();

/** Admitted, or refused until `retryAt`. */
export type BreakerVerdict = Result<void, { retryAt: number }>;

export function breakerName(tool: string): string {
	return `tool:${tool}`;
}

/**
 * What an attempt's result says about its tool's health: only transient failures count against
 * it; a deterministic one (bad input, division by zero) is no evidence either way.
 */
export function outcomeOf(result: ToolResult): CallOutcome {
	if (result.ok) return "success";
	return result.error.retryable ? "failure" : "neutral";
}

export class ToolBreakers {
	constructor(
		private readonly env: Env,
		private readonly settings: Settings,
	) {}

	async admit(tool: string, now = Date.now()): Promise<BreakerVerdict> {
		const config = breakerConfigFor(this.settings, tool);
		const cached = fresh(tool, now);
		if (cached?.status === "closed") return ok(undefined);
		const reopensAt = (cached?.opened_at ?? 0) + config.cool_down_ms;
		if (cached?.status === "open" && reopensAt > now) return err({ retryAt: reopensAt });
		const admission = await this.stub(tool).admit(breakerName(tool), config);
		seen.set(tool, { state: admission.state, at: Date.now() });
		return admission.allowed
			? ok(undefined)
			: err({ retryAt: admission.retry_at ?? now + FRESH_MS });
	}

	/** Tells the breaker how an admitted attempt went (see the header for what is batched). */
	async record(tool: string, result: ToolResult): Promise<void> {
		const outcome = outcomeOf(result);
		const now = Date.now();
		const config = breakerConfigFor(this.settings, tool);
		const closed = fresh(tool, now)?.status === "closed";
		const pending = unreported.get(tool);
		// Successes older than the window would dilute today's failures: they are dropped.
		const batch = pending && now - pending.since < config.window_ms ? pending.count : 0;
		if (closed && outcome !== "failure") {
			// No trial is out while the breaker is closed: successes wait for the next report,
			// which goes out at the latest a second after the first of them.
			if (outcome !== "success") return;
			if (!pending || batch === 0) unreported.set(tool, { count: 1, since: now });
			else pending.count += 1;
			if (batch === 0 || now - (pending?.since ?? now) < FRESH_MS) return;
		}
		unreported.delete(tool);
		const flushOnly = closed && outcome === "success";
		// If this call fails its samples are lost: the breaker learns from the next ones.
		const state = await this.stub(tool).record(
			breakerName(tool),
			flushOnly ? "neutral" : outcome,
			config,
			flushOnly ? batch + 1 : batch,
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
	settings: Settings,
	tools: readonly string[],
): Promise<Record<string, BreakerReport>> {
	const now = Date.now();
	const states = await Promise.all(
		tools.map((tool) => env.BREAKERS.get(env.BREAKERS.idFromName(breakerName(tool))).snapshot()),
	);
	return Object.fromEntries(
		states.map((state, index) => [
			tools[index],
			{
				status: state.status,
				opened_at: state.opened_at === null ? null : new Date(state.opened_at).toISOString(),
				recent_failures: windowTotals(state, now, breakerConfigFor(settings, tools[index] ?? ""))
					.failures,
				counters: state.counters,
			},
		]),
	);
}
