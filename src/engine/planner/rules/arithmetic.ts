import type { Json } from "../../json";
import type { PlannedCall, Rule, RuleContext } from "./rule";

const LEAD =
	/^(?:what(?:'s| is)|whats|calculate|compute|evaluate|work out|figure out|how much is|solve|tell me|give me)\s+/i;
const NUMBER = String.raw`[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?`;
const PREVIOUS = String.raw`(?:the\s+)?(?:previous\s+|last\s+|first\s+)?(?:result|answer|total|value|number|sum|product)|it|that|this`;
const WORDS: Record<string, number> = {
	zero: 0,
	one: 1,
	two: 2,
	three: 3,
	four: 4,
	five: 5,
	six: 6,
	seven: 7,
	eight: 8,
	nine: 9,
	ten: 10,
	eleven: 11,
	twelve: 12,
	thirteen: 13,
	fourteen: 14,
	fifteen: 15,
	sixteen: 16,
	seventeen: 17,
	eighteen: 18,
	nineteen: 19,
	twenty: 20,
	thirty: 30,
	forty: 40,
	fifty: 50,
	sixty: 60,
	seventy: 70,
	eighty: 80,
	ninety: 90,
	hundred: 100,
	thousand: 1000,
};
const WORD = Object.keys(WORDS).join("|");
const OPERAND = `(${NUMBER}|${PREVIOUS}|${WORD})`;
const PREVIOUS_VARIABLE = "previous";

type Operands = (a: string, b: string) => string;

/** Word forms of binary arithmetic: [pattern, how its two operands combine]. */
const BINARY: ReadonlyArray<readonly [RegExp, Operands]> = [
	[pattern(`${OPERAND}\\s+(?:plus|\\+|added to)\\s+${OPERAND}`), (a, b) => `${a} + ${b}`],
	[pattern(`${OPERAND}\\s+(?:minus|less)\\s+${OPERAND}`), (a, b) => `${a} - ${b}`],
	[pattern(`${OPERAND}\\s+(?:times|multiplied by|x)\\s+${OPERAND}`), (a, b) => `${a} * ${b}`],
	[pattern(`${OPERAND}\\s+(?:divided by|over)\\s+${OPERAND}`), (a, b) => `${a} / ${b}`],
	[
		pattern(`${OPERAND}\\s+(?:to the power of|raised to(?: the power of)?)\\s+${OPERAND}`),
		(a, b) => `${a} ** ${b}`,
	],
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

// Symbols only, so "calculate 2+3" plans but "calculate my taxes" does not.
const SYMBOLIC = /^[\d\s.+\-*/^()eE]*\d[\d\s.+\-*/^()eE]*$/;

function pattern(body: string): RegExp {
	return new RegExp(`^${body}$`, "i");
}

/** "15 plus 27", "multiply 6 by 7", "subtract 9 from 20", "double it". */
export const wordArithmetic: Rule = {
	name: "arithmetic in words",
	match(clause, context) {
		const text = clause.replace(LEAD, "");
		for (const [regex, combine] of BINARY) {
			const match = regex.exec(text);
			if (match?.[1] && match[2]) return build(context, combine, match[1], match[2]);
		}
		for (const [regex, apply] of UNARY) {
			const match = regex.exec(text);
			if (match?.[1]) return build(context, apply, match[1]);
		}
		return undefined;
	},
};

/** "what's 2.5 * 4", "compute (1+2)^3", "the result * 10". */
export const symbolicArithmetic: Rule = {
	name: "arithmetic in symbols",
	match(clause, context) {
		const text = clause.replace(LEAD, "");
		const previous = new RegExp(`\\b(?:${PREVIOUS})\\b`, "gi");
		const usesPrevious = previous.test(text);
		const expression = text.replace(previous, " 0 ").replace(/\s+/g, " ").trim();
		if (!SYMBOLIC.test(expression)) return undefined;
		if (!usesPrevious) return call(text, null);
		if (context.previousResultStep === null) return undefined;
		return call(text.replace(previous, PREVIOUS_VARIABLE), context.previousResultStep);
	},
};

function build(
	context: RuleContext,
	combine: (...operands: string[]) => string,
	...raw: string[]
): PlannedCall | undefined {
	let usesPrevious = false;
	const operands: string[] = [];
	for (const operand of raw) {
		const value = toOperand(operand);
		if (value === PREVIOUS_VARIABLE) usesPrevious = true;
		operands.push(value);
	}
	if (usesPrevious && context.previousResultStep === null) return undefined;
	return call(combine(...operands), usesPrevious ? context.previousResultStep : null);
}

function toOperand(raw: string): string {
	const word = WORDS[raw.toLowerCase()];
	if (word !== undefined) return String(word);
	if (new RegExp(`^${NUMBER}$`, "i").test(raw)) return raw.startsWith("-") ? `(${raw})` : raw;
	return PREVIOUS_VARIABLE;
}

function call(expression: string, previousStep: number | null): PlannedCall {
	const input: Record<string, Json> = { expression };
	if (previousStep !== null) {
		input.variables = { [PREVIOUS_VARIABLE]: { $ref: `steps.${previousStep}.output` } };
	}
	const reasoning =
		previousStep === null
			? `Evaluate ${expression}`
			: `Evaluate ${expression}, where previous is the result of step ${previousStep}`;
	return { tool: "calculator", input, reasoning };
}
