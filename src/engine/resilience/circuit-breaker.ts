/**
 * A circuit breaker as pure data and functions, tripped by a failure rate (as resilience4j and
 * Hystrix do): closed → open once at least `minimum_calls` calls fell in the sliding window and
 * `failure_rate` of them failed; open → half-open after `cool_down_ms`; half-open → closed after
 * `success_threshold` successful trials, or straight back to open on a failed one. A count of
 * failures alone would open at any error rate once traffic is high enough. Time comes in as `now`.
 */
export interface BreakerConfig {
	/** Share of the window's calls that must fail to open, in (0, 1]. */
	failure_rate: number;
	/** Calls the window must hold before its rate means anything. */
	minimum_calls: number;
	window_ms: number;
	cool_down_ms: number;
	success_threshold: number;
}

export type BreakerStatus = "closed" | "open" | "half_open";

/** How a call went, as far as the dependency's health goes. */
export type CallOutcome =
	| "success"
	| "failure"
	/** It answered, but deterministically refused (bad input): no evidence either way. */
	| "neutral";

/** Calls counted in one slice of the window, which is split into WINDOW_SLICES of these. */
export interface WindowSlice {
	at: number;
	successes: number;
	failures: number;
}

const WINDOW_SLICES = 10;

export interface BreakerState {
	status: BreakerStatus;
	/** Recent calls while closed, oldest slice first. */
	window: WindowSlice[];
	opened_at: number | null;
	half_open_successes: number;
	/** Whether the one trial call of the half-open state is out. */
	probe_in_flight: boolean;
	/** When that trial went out: a trial never reported (its caller died) expires after a cool-down. */
	probe_started_at?: number | null;
	counters: {
		allowed: number;
		rejected: number;
		successes: number;
		failures: number;
		opened: number;
	};
}

export function closedBreaker(): BreakerState {
	return {
		status: "closed",
		window: [],
		opened_at: null,
		half_open_successes: 0,
		probe_in_flight: false,
		counters: { allowed: 0, rejected: 0, successes: 0, failures: 0, opened: 0 },
	};
}

/** A stored state from before the window existed reads as closed with an empty window. */
export function normaliseBreaker(stored: Partial<BreakerState> | undefined): BreakerState {
	const fresh = closedBreaker();
	if (!stored) return fresh;
	return {
		...fresh,
		...stored,
		window: stored.window ?? [],
		counters: stored.counters ?? fresh.counters,
	};
}

/** Calls and failures inside the window as of `now`. */
export function windowTotals(
	state: BreakerState,
	now: number,
	config: BreakerConfig,
): { calls: number; failures: number } {
	let calls = 0;
	let failures = 0;
	for (const slice of state.window) {
		if (slice.at <= now - config.window_ms) continue;
		calls += slice.successes + slice.failures;
		failures += slice.failures;
	}
	return { calls, failures };
}

export interface Admission {
	allowed: boolean;
	state: BreakerState;
	/** When a rejected call may try again. */
	retry_at: number | null;
	/** Set when this call moved the breaker, for logging. */
	transition: BreakerStatus | null;
}

/** Whether a call may go through now. Half-open admits one trial call at a time. */
export function admit(state: BreakerState, now: number, config: BreakerConfig): Admission {
	let current = state;
	let transition: BreakerStatus | null = null;
	if (
		current.status === "open" &&
		current.opened_at !== null &&
		now >= current.opened_at + config.cool_down_ms
	) {
		current = { ...current, status: "half_open", half_open_successes: 0, probe_in_flight: false };
		transition = "half_open";
	}
	const counters = current.counters;
	const probeLost =
		current.probe_in_flight && now >= (current.probe_started_at ?? 0) + config.cool_down_ms;
	const probeOut = current.status === "half_open" && current.probe_in_flight && !probeLost;
	if (current.status === "open" || probeOut) {
		const retryAt =
			current.status === "open" && current.opened_at !== null
				? current.opened_at + config.cool_down_ms
				: now + 1_000;
		return {
			allowed: false,
			state: { ...current, counters: { ...counters, rejected: counters.rejected + 1 } },
			retry_at: retryAt,
			transition,
		};
	}
	return {
		allowed: true,
		state: {
			...current,
			probe_in_flight: current.status === "half_open",
			probe_started_at: current.status === "half_open" ? now : null,
			counters: { ...counters, allowed: counters.allowed + 1 },
		},
		retry_at: null,
		transition,
	};
}

/**
 * Records how an admitted call went, plus `batchedSuccesses` earlier successes that a caller
 * counted locally while the breaker was closed. Returns the new state and where it moved, if
 * anywhere. Every trial's outcome settles the half-open probe, a neutral one included.
 */
export function recordOutcome(
	state: BreakerState,
	outcome: CallOutcome,
	now: number,
	config: BreakerConfig,
	batchedSuccesses = 0,
): { state: BreakerState; transition: BreakerStatus | null } {
	const successes = batchedSuccesses + (outcome === "success" ? 1 : 0);
	const failed = outcome === "failure" ? 1 : 0;
	const counters = {
		...state.counters,
		successes: state.counters.successes + successes,
		failures: state.counters.failures + failed,
	};
	if (state.status === "half_open") {
		if (outcome === "failure") return { state: opened(state, now, counters), transition: "open" };
		if (outcome === "neutral") {
			return { state: { ...state, probe_in_flight: false, counters }, transition: null };
		}
		const trials = state.half_open_successes + 1;
		if (trials >= config.success_threshold) {
			return { state: { ...closedBreaker(), counters }, transition: "closed" };
		}
		return {
			state: { ...state, half_open_successes: trials, probe_in_flight: false, counters },
			transition: null,
		};
	}
	if (state.status === "open") return { state: { ...state, counters }, transition: null };
	const window = addToWindow(state.window, now, config, successes, failed);
	const next = { ...state, window, counters };
	const totals = windowTotals(next, now, config);
	const tripped =
		failed > 0 &&
		totals.calls >= config.minimum_calls &&
		totals.failures >= config.failure_rate * totals.calls;
	return tripped
		? { state: opened(next, now, counters), transition: "open" }
		: { state: next, transition: null };
}

function addToWindow(
	window: readonly WindowSlice[],
	now: number,
	config: BreakerConfig,
	successes: number,
	failures: number,
): WindowSlice[] {
	const sliceMs = Math.max(1, Math.floor(config.window_ms / WINDOW_SLICES));
	const at = now - (now % sliceMs);
	const kept = window.filter((slice) => slice.at > now - config.window_ms);
	const last = kept.at(-1);
	if (last?.at === at) {
		return [
			...kept.slice(0, -1),
			{ at, successes: last.successes + successes, failures: last.failures + failures },
		];
	}
	return [...kept, { at, successes, failures }];
}

function opened(
	state: BreakerState,
	now: number,
	counters: BreakerState["counters"],
): BreakerState {
	return {
		...state,
		status: "open",
		window: [],
		opened_at: now,
		half_open_successes: 0,
		probe_in_flight: false,
		counters: { ...counters, opened: counters.opened + 1 },
	};
}
