import { z } from "zod";
import { defineTool, fail, succeed } from "../types";
import { CalculatorMathError, CalculatorSyntaxError } from "./errors";
import { evaluate, MAX_EXPRESSION_LENGTH } from "./parser";

export { evaluate } from "./parser";

const CalculatorInput = z
	.object({
		expression: z
			.string()
			.max(MAX_EXPRESSION_LENGTH)
			.describe("Arithmetic, e.g. (2 + 3) * 4 ** 2 or sqrt(144) + max(1, 2)"),
		variables: z
			.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.number())
			.optional()
			.describe("Names usable in the expression, usually bound to an earlier step's output"),
	})
	.strict();

export const calculatorTool = defineTool({
	name: "calculator",
	description:
		"Evaluates arithmetic: + - * / ** ^, unary signs, parentheses, decimals, exponent notation and the functions sqrt, abs, round, floor, ceil, min, max, ln, log (base 10) and exp.",
	input: CalculatorInput,
	mutates: false,
	async execute({ expression, variables }) {
		try {
			return succeed(evaluate(expression, variables));
		} catch (error) {
			if (error instanceof CalculatorSyntaxError) return fail("invalid_expression", error.message);
			if (error instanceof CalculatorMathError) return fail("math_error", error.message);
			throw error;
		}
	},
});
