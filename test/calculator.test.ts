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

	it.each([
		["sqrt(144)", 12],
		["sqrt(2) ** 2", 2],
		["abs(-3.5)", 3.5],
		["round(2.5)", 3],
		["round(-2.5)", -3],
		["floor(-1.5)", -2],
		["ceil(1.2)", 2],
		["min(4, 2, 8)", 2],
		["max(4, -2 * 10, 8)", 8],
		["ln(exp(2))", 2],
		["log(1000)", 3],
		["2 * sqrt(9 + 7) - 1", 7],
		["-sqrt(4) ** 2", -4],
		["sqrt(sqrt(16))", 2],
		["SQRT(25)", 5],
	])("calls the function in %s, giving %d", (expression, expected) => {
		expect(evaluate(expression)).toBe(expected);
	});

	it("lets a variable share a function's name, used without parentheses", () => {
		expect(evaluate("sqrt * 2", { sqrt: 3 })).toBe(6);
	});

	it.each([
		["foo(1)", "Unknown function 'foo' at position 0"],
		["1 + toString(1)", "Unknown function 'toString' at position 4"],
		["constructor(1)", "Unknown function 'constructor' at position 0"],
		["sqrt(1, 2)", "sqrt takes 1 argument, not 2, at position 0"],
		["sqrt()", "sqrt takes 1 argument, not 0, at position 0"],
		["max()", "max takes at least 1 argument, not 0, at position 0"],
		["sqrt", "'sqrt' is a function: call it as sqrt(...) at position 0"],
		["sqrt 4", "'sqrt' is a function: call it as sqrt(...) at position 0"],
		["min(1,)", "Unexpected token ')' at position 6"],
		["min(1, 2", "Unclosed '(' at position 3: expected ')' at position 8"],
		["1, 2", "Unexpected token ',' at position 1"],
	])("rejects the call %j with a clear message", (expression, message) => {
		expect(() => evaluate(expression)).toThrowError(new CalculatorSyntaxError(message));
	});

	it.each([
		["sqrt(-4)", "sqrt needs a number that is not negative, got -4"],
		["ln(0)", "ln needs a positive number, got 0"],
		["log(-10)", "log needs a positive number, got -10"],
		["exp(1000)", "Result is not a finite number"],
	])("rejects %s as a math error, never NaN", (expression, message) => {
		expect(() => evaluate(expression)).toThrowError(new CalculatorMathError(message));
	});

	it("counts function calls towards the nesting limit", () => {
		expect(() => evaluate(`${"abs(".repeat(101)}1${")".repeat(101)}`)).toThrowError(
			"nested deeper than 100 levels",
		);
		expect(evaluate(`${"abs(".repeat(99)}1${")".repeat(99)}`)).toBe(1);
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
			ok: true,
			value: 42,
		});
		expect(await calculatorTool.execute({ expression: "1/0" }, ctx)).toEqual({
			ok: false,
			error: { code: "math_error", message: "Division by zero", retryable: false },
		});
		expect(await calculatorTool.execute({ expression: "2+" }, ctx)).toMatchObject({
			ok: false,
			error: { code: "invalid_expression", retryable: false },
		});
	});
});
