/**
 * A circuit breaker as pure data and functions: closed → open after `failure_threshold` failures
 * within `window_ms`; open → half-open after `cool_down_ms`; half-open → closed after
 * `success_threshold` successes, or straight back to open on a failure. Time comes in as `now`.
 */
export interface BreakerConfig {
	failure_threshold: number;
	window_ms: number;
	cool_down_ms: number;
	success_threshold: number;
}

export type BreakerStatus = "closed" | "open" | "half_open";

export interface BreakerState {
	status: BreakerStatus;
	/** Times of recent failures while closed, oldest first. */
	failures: number[];
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

export const DEFAULT_BREAKER_CONFIG: BreakerConfig = {
	failure_threshold: 3,
	window_ms: 60_000,
	cool_down_ms: 30_000,
	success_threshold: 1,
};

export function closedBreaker(): BreakerState {
	return {
		status: "closed",
		failures: [],
		opened_at: null,
		half_open_successes: 0,
		probe_in_flight: false,
		counters: { allowed: 0, rejected: 0, successes: 0, failures: 0, opened: 0 },
	};
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

/** Records how an admitted call went; returns the new state and the status it moved to, if any. */
export function recordOutcome(
	state: BreakerState,
	ok: boolean,
	now: number,
	config: BreakerConfig,
): { state: BreakerState; transition: BreakerStatus | null } {
	const counters = {
		...state.counters,
		successes: state.counters.successes + (ok ? 1 : 0),
		failures: state.counters.failures + (ok ? 0 : 1),
	};
	if (state.status === "half_open") {
		if (!ok) return { state: opened(state, now, counters), transition: "open" };
		const successes = state.half_open_successes + 1;
		if (successes >= config.success_threshold) {
			return { state: { ...closedBreaker(), counters }, transition: "closed" };
		}
		return {
			state: { ...state, half_open_successes: successes, probe_in_flight: false, counters },
			transition: null,
		};
	}
	if (ok) return { state: { ...state, counters }, transition: null };
	const failures = [...state.failures.filter((at) => at > now - config.window_ms), now];
	if (state.status === "closed" && failures.length >= config.failure_threshold) {
		return { state: opened(state, now, counters), transition: "open" };
	}
	return { state: { ...state, failures, counters }, transition: null };
}

function opened(
	state: BreakerState,
	now: number,
	counters: BreakerState["counters"],
): BreakerState {
	return {
		...state,
		status: "open",
		failures: [],
		opened_at: now,
		half_open_successes: 0,
		probe_in_flight: false,
		counters: { ...counters, opened: counters.opened + 1 },
	};
}
