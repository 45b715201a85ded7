import { describe, expect, it } from "vitest";
import { parseModelAnswer } from "../src/engine/planner/llm/answer";
import { MAX_INPUT_JSON_CHARS } from "../src/engine/planner/llm/prompt";

describe("model answers", () => {
	const answer = (step: Record<string, unknown>) =>
		parseModelAnswer(
			JSON.stringify({
				goal: "g",
				steps: [{ step_number: 1, tool: "calculator", reasoning: "", depends_on: [], ...step }],
			}),
		);

	it("reads a step's input from an input object as from input_json", () => {
		const fromObject = answer({ input: { expression: "1+1" } });
		const fromString = answer({ input_json: JSON.stringify({ expression: "1+1" }) });
		expect(fromObject).toEqual(fromString);
		expect(fromObject).toMatchObject({
			ok: true,
			draft: { steps: [{ input: { expression: "1+1" } }] },
		});
	});

	it.each([
		[
			"both shapes",
			{ input: { expression: "1" }, input_json: '{"expression":"1"}' },
			"give input_json or input, not both",
		],
		["neither shape", {}, "input_json (or an input object) is required"],
		["an array input", { input: ["1"] }, "steps[1].input: must be an object"],
		["a string input", { input: "1+1" }, "steps[1].input: must be an object"],
		[
			"an oversized input",
			{ input: { expression: "1".repeat(MAX_INPUT_JSON_CHARS) } },
			"steps[1].input: at most 8192",
		],
		[
			"a __proto__ key in an input",
			{ input: JSON.parse('{"expression":"1","__proto__":{"polluted":true}}') },
			'"__proto__" is not allowed',
		],
	])("refuses %s with the same checks as input_json", (_label, step, problem) => {
		const parsed = answer(step);
		expect(parsed.ok).toBe(false);
		expect(parsed.ok ? [] : parsed.problems.join("; ")).toContain(problem);
		expect(Object.prototype).not.toHaveProperty("polluted");
	});
});
