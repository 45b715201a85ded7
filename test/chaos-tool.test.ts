import { describe, expect, it } from "vitest";
import type { Json } from "../src/engine/json";
import { executeStep } from "../src/engine/run/execute-step";
import { chaosTools } from "../src/engine/tools/chaos";
import { DeliveryFault, type ToolContext } from "../src/engine/tools/types";

const [chaos] = chaosTools;
const ctx = (attempt: number) =>
	({ attempt, signal: new AbortController().signal }) as unknown as ToolContext;

describe("chaos tool", () => {
	if (!chaos) throw new Error("chaos tool missing");

	it("fails with the configured probability, retryably", async () => {
		const always = { behaviours: [{ fail_probability: 1 }] };
		const never = { behaviours: [{ fail_probability: 0 }] };
		expect(await executeStep(chaos, always, ctx(1), 1_000)).toMatchObject({
			ok: false,
			error: { code: "chaos", retryable: true },
		});
		expect(await executeStep(chaos, never, ctx(1), 1_000)).toEqual({
			ok: true,
			value: { attempt: 1 },
		});
	});

	it("follows one behaviour per attempt, the last repeating", async () => {
		const input: Json = { behaviours: [{ fail: "fatal" }, {}] };
		expect(await executeStep(chaos, input, ctx(1), 1_000)).toMatchObject({
			error: { retryable: false },
		});
		expect((await executeStep(chaos, input, ctx(3), 1_000)).ok).toBe(true);
	});

	it("lets a delivery fault through to whoever carries the step", async () => {
		const input = { behaviours: [{ fault: "crash_consumer" }] };
		await expect(executeStep(chaos, input, ctx(1), 1_000)).rejects.toBeInstanceOf(DeliveryFault);
	});

	it("times out a hang at the step's timeout", async () => {
		const result = await executeStep(chaos, { behaviours: [{ hang: true }] }, ctx(1), 20);
		expect(result).toMatchObject({ ok: false, error: { code: "timeout", retryable: true } });
	});
});
