import type { Json } from "../../json";
import type { PlannedCall, RuleContext } from "./rule";

export const NUMBER = String.raw`[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?`;
export const PREVIOUS = String.raw`(?:the\s+)?(?:previous\s+|last\s+|first\s+)?(?:result|answer|total|value|number|sum|product)|it|that|this`;
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
export const WORD = Object.keys(WORDS).join("|");
/** One operand, captured: a number, a number word, or the previous result. */
export const OPERAND = `(${NUMBER}|${PREVIOUS}|${WORD})`;
export const PREVIOUS_VARIABLE = "previous";

/** The expression text for one operand; the previous result becomes the variable "previous". */
function toOperand(raw: string): string {
	const word = WORDS[raw.toLowerCase()];
	if (word !== undefined) return String(word);
	if (new RegExp(`^${NUMBER}$`, "i").test(raw)) return raw.startsWith("-") ? `(${raw})` : raw;
	return PREVIOUS_VARIABLE;
}

/** Combines raw operands into a calculator call; undefined when "the result" has no source. */
export function build(
	context: RuleContext,
	combine: (...operands: string[]) => string,
	...raw: string[]
): PlannedCall | undefined {
	const operands = raw.map(toOperand);
	const usesPrevious = operands.includes(PREVIOUS_VARIABLE);
	if (usesPrevious && context.previousResultStep === null) return undefined;
	return calculate(combine(...operands), usesPrevious ? context.previousResultStep : null);
}

/** The previous-result words in a symbolic expression, to be replaced by the variable. */
export function previousWords(): RegExp {
	return new RegExp(`\\b(?:${PREVIOUS})\\b`, "gi");
}

/** A calculator call; `previousStep` binds the variable "previous" to that step's output. */
export function calculate(expression: string, previousStep: number | null): PlannedCall {
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
