import { describe, expect, it } from "vitest";
import {
	admit,
	type BreakerConfig,
	type BreakerState,
	closedBreaker,
	normaliseBreaker,
	recordOutcome,
	windowTotals,
} from "../src/engine/resilience/circuit-breaker";

const config: BreakerConfig = {
	failure_rate: 0.5,
	minimum_calls: 4,
	window_ms: 1_000,
	cool_down_ms: 500,
	success_threshold: 2,
};

function fail(state: BreakerState, times: number[]): BreakerState {
	let next = state;
	for (const at of times) next = recordOutcome(next, "failure", at, config).state;
	return next;
}

const tripped = () => fail(closedBreaker(), [0, 1, 2, 3]);

describe("circuit breaker", () => {
	it("opens once the window holds the minimum calls and half of them failed", () => {
		let state = fail(closedBreaker(), [0, 1, 2]);
		expect(state.status).toBe("closed");
		const opened = recordOutcome(state, "failure", 3, config);
		expect(opened.transition).toBe("open");
		state = recordOutcome(closedBreaker(), "success", 0, config, 5).state;
		// 2 failures in 8 calls is a 25% rate: under the threshold, however many calls there are.
		state = fail(state, [10, 20]);
		expect(state.status).toBe("closed");
		expect(windowTotals(state, 30, config)).toEqual({ calls: 8, failures: 2 });
	});

	it("forgets calls older than the window", () => {
		const state = fail(closedBreaker(), [0, 100, 200]);
		expect(recordOutcome(state, "failure", 1_150, config).state.status).toBe("closed");
	});

	it("never opens at a 30% failure rate, at any traffic", () => {
		let state = closedBreaker();
		let random = 7;
		for (let call = 0; call < 5_000; call += 1) {
			random = (random * 1_103_515_245 + 12_345) % 2 ** 31;
			const outcome = random / 2 ** 31 < 0.3 ? "failure" : "success";
			state = recordOutcome(state, outcome, call * 2, config).state;
			expect(state.status).toBe("closed");
		}
		expect(state.counters.failures).toBeGreaterThan(1_000);
	});

	it("rejects while open, half-opens after the cool-down with one trial, and closes after M successes", () => {
		let state = tripped();
		expect(admit(state, 100, config)).toMatchObject({ allowed: false, retry_at: 503 });
		const trial = admit(state, 503, config);
		expect(trial).toMatchObject({ allowed: true, transition: "half_open" });
		state = trial.state;
		expect(admit(state, 504, config).allowed).toBe(false);
		state = recordOutcome(state, "success", 510, config).state;
		expect(state.status).toBe("half_open");
		state = admit(state, 511, config).state;
		const closed = recordOutcome(state, "success", 520, config);
		expect(closed).toMatchObject({ transition: "closed", state: { status: "closed" } });
	});

	it("re-opens on a failed trial", () => {
		const state = admit(tripped(), 600, config).state;
		expect(recordOutcome(state, "failure", 601, config)).toMatchObject({
			transition: "open",
			state: { opened_at: 601 },
		});
	});

	it("reads a state stored before the window existed as closed and empty", () => {
		const legacy = { status: "closed", failures: [1, 2] } as unknown as Partial<BreakerState>;
		expect(normaliseBreaker(legacy)).toMatchObject({ status: "closed", window: [] });
	});
});

describe("circuit breaker trials", () => {
	it("lets a new trial through once an unreported one is a cool-down old", () => {
		const state = admit(tripped(), 503, config).state;
		expect(admit(state, 900, config).allowed).toBe(false);
		expect(admit(state, 1_003, config).allowed).toBe(true);
	});

	it("settles the probe on a trial that failed deterministically, so the next call is the trial", () => {
		const probing = admit(tripped(), 503, config).state;
		const settled = recordOutcome(probing, "neutral", 510, config);
		expect(settled).toMatchObject({
			transition: null,
			state: { status: "half_open", probe_in_flight: false },
		});
		expect(admit(settled.state, 511, config).allowed).toBe(true);
	});
});
