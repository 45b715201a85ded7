import { describe, expect, it } from "vitest";
import { deferForOpenBreaker, MAX_DEFERRALS } from "../src/engine/run/attempt";
import { effectKey } from "../src/engine/run/effect-key";

const step = { step_number: 2, attempts: 1, deferrals: 0, tool: "http.request" };

describe("a step refused by an open breaker", () => {
	it("waits for the end of the cool-down, spending no attempt", () => {
		expect(deferForOpenBreaker(step, 5_000, 1_000)).toEqual({
			type: "step_deferred",
			step: 2,
			reason: "circuit_open:http.request",
			until: new Date(5_000).toISOString(),
		});
	});

	it("never waits for a time already past", () => {
		expect(deferForOpenBreaker(step, 500, 1_000)).toMatchObject({
			until: new Date(1_000).toISOString(),
		});
	});

	it("fails with circuit_open once its deferrals are used up", () => {
		expect(deferForOpenBreaker({ ...step, deferrals: MAX_DEFERRALS }, 5_000, 1_000)).toMatchObject({
			type: "step_failed",
			step: 2,
			attempt: 1,
			error: { code: "circuit_open" },
		});
	});
});

describe("effect keys", () => {
	it("stay the run and step until compensation undoes the effect, then name the generation", () => {
		expect(effectKey("run", { step_number: 3, effect_generation: 0 })).toBe("run:3");
		expect(effectKey("run", { step_number: 3, effect_generation: 2 })).toBe("run:3:g2");
	});
});
