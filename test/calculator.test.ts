import { describe, expect, it } from "vitest";
import { calculatorTool, evaluate } from "../src/engine/tools/calculator";
import { CalculatorSyntaxError } from "../src/engine/tools/calculator/lexer";
import { CalculatorMathError } from "../src/engine/tools/calculator/parser";
import type { ToolContext } from "../src/engine/tools/types";

describe("calculator", () => {
	it.each([
		["2 + 3", 5],
		["2 + 3 * 4", 14],
		["(2 + 3) * 4", 20],
		["10 - 4 - 3", 3],
		["100 / 10 / 5", 2],
		["2 ** 3 ** 2", 512],
		["2 ^ 3 ^ 2", 512],
		["-2 ** 2", -4],
		["(-2) ** 2", 4],
		["2 ** -1", 0.5],
		["--3", 3],
		["+4 - -4", 8],
		["1.5e3 + .5", 1500.5],
		["2.5 * 4", 10],
		["0.1 + 0.2", 0.3],
		["1e-3 * 1E3", 1],
		["7 / 2", 3.5],
		["-0 * 5", 0],
	])("evaluates %s to %d", (expression, expected) => {
		expect(evaluate(expression)).toBe(expected);
	});

	it("substitutes named variables", () => {
		expect(evaluate("previous * 10", { previous: 4 })).toBe(40);
	});

	it.each([
		["2 + * 3", "Unexpected token '*' at position 4"],
		["2+", "Unexpected end of expression at position 2"],
		["(((", "Unexpected end of expression at position 3"],
		["(1 + 2", "Unclosed '(' at position 0: expected ')' at position 6"],
		["1 + 2)", "Unexpected token ')' at position 5"],
		["", "Expression is empty"],
		["   ", "Expression is empty"],
		["2 $ 3", "Unexpected character '$' at position 2"],
		["1..2", "Unexpected token '.2' at position 2"],
		["x + 1", "Unknown name 'x' at position 0"],
	])("rejects %j with a clear message", (expression, message) => {
		expect(() => evaluate(expression)).toThrowError(new CalculatorSyntaxError(message));
	});

	it("rejects division by zero as a math error", () => {
		expect(() => evaluate("1 / (2 - 2)")).toThrowError(new CalculatorMathError("Division by zero"));
	});

	it("rejects a non-finite result", () => {
		expect(() => evaluate("9 ^ 9 ^ 9 ^ 9")).toThrowError("Result is not a finite number");
		expect(() => evaluate("1e308 * 10")).toThrowError("Result is not a finite number");
	});

	it.each([
		["__import__('os')", "Unexpected character ''' at position 11"],
		["constructor.constructor('return process')()", "Unexpected character '.' at position 11"],
		["toString", "Unknown name 'toString' at position 0"],
		["__proto__", "Unknown name '__proto__' at position 0"],
		["\\u0063onstructor", "Unexpected character '\\' at position 0"],
		["１＋１", "Unexpected character '１' at position 0"],
	])("refuses hostile input %j", (expression, message) => {
		expect(() => evaluate(expression)).toThrowError(message);
	});

	it("never resolves names through the prototype chain", () => {
		expect(() => evaluate("constructor", {})).toThrowError("Unknown name 'constructor'");
	});

	it("refuses expressions over 1,000 characters", () => {
		expect(() => evaluate("1+".repeat(5_000))).toThrowError(
			"Expression is longer than 1000 characters (10000)",
		);
	});

	it("refuses nesting deeper than 100 levels, in parentheses or in signs", () => {
		expect(() => evaluate(`${"(".repeat(101)}1${")".repeat(101)}`)).toThrowError(
			"nested deeper than 100 levels",
		);
		expect(() => evaluate(`${"-".repeat(150)}1`)).toThrowError("nested deeper than 100 levels");
		expect(evaluate(`${"(".repeat(99)}1${")".repeat(99)}`)).toBe(1);
	});

	it("answers as a tool, with deterministic failures marked not retryable", async () => {
		const ctx = {} as ToolContext;
		expect(await calculatorTool.execute({ expression: "6 * 7" }, ctx)).toEqual({
			success: true,
			output: 42,
		});
		expect(await calculatorTool.execute({ expression: "1/0" }, ctx)).toEqual({
			success: false,
			error: { code: "math_error", message: "Division by zero", retryable: false },
		});
		expect(await calculatorTool.execute({ expression: "2+" }, ctx)).toMatchObject({
			success: false,
			error: { code: "invalid_expression", retryable: false },
		});
	});
});
