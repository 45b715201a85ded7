import { describe, expect, it } from "vitest";
import { admit, closedBreaker, recordOutcome } from "../src/engine/resilience/circuit-breaker";

const config = { failure_threshold: 3, window_ms: 1_000, cool_down_ms: 500, success_threshold: 2 };

describe("circuit breaker", () => {
	it("opens after N failures within the window, not when they are spread out", () => {
		let state = closedBreaker();
		for (const at of [0, 600, 1_300]) state = recordOutcome(state, false, at, config).state;
		expect(state.status).toBe("closed");
		// 600, 1,300 and 1,400 all fall within one second.
		const opened = recordOutcome(state, false, 1_400, config);
		expect(opened.transition).toBe("open");
		expect(opened.state.status).toBe("open");
	});

	it("rejects while open, half-opens after the cool-down with one trial, and closes after M successes", () => {
		let state = closedBreaker();
		for (const at of [0, 1, 2]) state = recordOutcome(state, false, at, config).state;
		expect(admit(state, 100, config)).toMatchObject({ allowed: false, retry_at: 502 });
		const trial = admit(state, 502, config);
		expect(trial).toMatchObject({ allowed: true, transition: "half_open" });
		state = trial.state;
		expect(admit(state, 503, config).allowed).toBe(false);
		state = recordOutcome(state, true, 510, config).state;
		expect(state.status).toBe("half_open");
		state = admit(state, 511, config).state;
		const closed = recordOutcome(state, true, 520, config);
		expect(closed).toMatchObject({ transition: "closed", state: { status: "closed" } });
	});

	it("re-opens on a failed trial", () => {
		let state = closedBreaker();
		for (const at of [0, 1, 2]) state = recordOutcome(state, false, at, config).state;
		state = admit(state, 600, config).state;
		expect(recordOutcome(state, false, 601, config)).toMatchObject({
			transition: "open",
			state: { opened_at: 601 },
		});
	});
});

describe("circuit breaker trials", () => {
	it("lets a new trial through once an unreported one is a cool-down old", () => {
		let state = closedBreaker();
		for (const at of [0, 1, 2]) state = recordOutcome(state, false, at, config).state;
		state = admit(state, 502, config).state;
		expect(admit(state, 900, config).allowed).toBe(false);
		expect(admit(state, 1_002, config).allowed).toBe(true);
	});
});
