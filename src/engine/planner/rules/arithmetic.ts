import { FUNCTIONS } from "../../tools/calculator/functions";
import { readChain } from "./chain";
import { build, calculate, OPERAND, PREVIOUS_VARIABLE, previousWords } from "./numbers";
import type { Rule } from "./rule";

const LEAD =
	/^(?:what(?:'s| is)|whats|calculate|compute|evaluate|work out|figure out|how much is|solve|tell me|give me)\s+/i;

type Operands = (a: string, b: string) => string;

/** Verb forms of binary arithmetic, whose operands may come in either order. */
const BINARY: ReadonlyArray<readonly [RegExp, Operands]> = [
	[pattern(`add\\s+${OPERAND}\\s+(?:to|and|with)\\s+${OPERAND}`), (a, b) => `${b} + ${a}`],
	[pattern(`(?:the\\s+)?sum of\\s+${OPERAND}\\s+and\\s+${OPERAND}`), (a, b) => `${a} + ${b}`],
	[pattern(`subtract\\s+${OPERAND}\\s+from\\s+${OPERAND}`), (a, b) => `${b} - ${a}`],
	[pattern(`(?:take|take away)\\s+${OPERAND}\\s+from\\s+${OPERAND}`), (a, b) => `${b} - ${a}`],
	[pattern(`multiply\\s+${OPERAND}\\s+(?:by|and|with)\\s+${OPERAND}`), (a, b) => `${a} * ${b}`],
	[pattern(`(?:the\\s+)?product of\\s+${OPERAND}\\s+and\\s+${OPERAND}`), (a, b) => `${a} * ${b}`],
	[pattern(`divide\\s+${OPERAND}\\s+by\\s+${OPERAND}`), (a, b) => `${a} / ${b}`],
	[pattern(`raise\\s+${OPERAND}\\s+to(?: the power of)?\\s+${OPERAND}`), (a, b) => `${a} ** ${b}`],
];

/** One-operand forms: "double it", "square 7". */
const UNARY: ReadonlyArray<readonly [RegExp, (a: string) => string]> = [
	[pattern(`double\\s+${OPERAND}`), (a) => `${a} * 2`],
	[pattern(`triple\\s+${OPERAND}`), (a) => `${a} * 3`],
	[pattern(`halve\\s+${OPERAND}`), (a) => `${a} / 2`],
	[pattern(`square\\s+${OPERAND}`), (a) => `${a} ** 2`],
	[pattern(`cube\\s+${OPERAND}`), (a) => `${a} ** 3`],
	[pattern(`negate\\s+${OPERAND}`), (a) => `-${a}`],
];

// Symbols only, so "calculate 2+3" plans but "calculate my taxes" does not. A call of an
// allowlisted function counts as a parenthesis; nothing else with letters gets through.
const SYMBOLIC = /^[\d\s.,+\-*/^()eE]*\d[\d\s.,+\-*/^()eE]*$/;
const CALL = new RegExp(`\\b(?:${[...FUNCTIONS.keys()].join("|")})\\s*\\(`, "gi");

function pattern(body: string): RegExp {
	return new RegExp(`^${body}$`, "i");
}

/** "15 plus 27", "12 times 7 plus 3", "15% of 80", "multiply 6 by 7", "double it". */
export const wordArithmetic: Rule = {
	name: "arithmetic in words",
	match(clause, context) {
		const text = clause.replace(LEAD, "");
		for (const [regex, combine] of BINARY) {
			const match = regex.exec(text);
			if (match?.[1] && match[2]) return build(context, combine, match[1], match[2]);
		}
		const chain = readChain(text);
		if (chain) return build(context, chain.combine, ...chain.atoms);
		for (const [regex, apply] of UNARY) {
			const match = regex.exec(text);
			if (match?.[1]) return build(context, apply, match[1]);
		}
		return undefined;
	},
};

/** "what's 2.5 * 4", "compute (1+2)^3", "the result * 10", "sqrt(144) + max(1, 2)". */
export const symbolicArithmetic: Rule = {
	name: "arithmetic in symbols",
	match(clause, context) {
		const text = clause.replace(LEAD, "");
		const usesPrevious = previousWords().test(text);
		const expression = text
			.replace(previousWords(), " 0 ")
			.replace(CALL, "(")
			.replace(/\s+/g, " ")
			.trim();
		// Balanced, so a prompt split at the comma of "max(1, 2)" is read whole, not in halves.
		if (!SYMBOLIC.test(expression) || !balanced(expression)) return undefined;
		if (!usesPrevious) return calculate(text, null);
		if (context.previousResultStep === null) return undefined;
		return calculate(text.replace(previousWords(), PREVIOUS_VARIABLE), context.previousResultStep);
	},
};

function balanced(expression: string): boolean {
	let depth = 0;
	for (const char of expression) {
		if (char === "(") depth += 1;
		if (char === ")") depth -= 1;
		if (depth < 0) return false;
	}
	return depth === 0;
}
