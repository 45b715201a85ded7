import { NUMBER, PREVIOUS, WORD } from "./numbers";

const ATOM = String.raw`(${NUMBER}|(?:${PREVIOUS}|${WORD})\b)`;

interface OperandForm {
	pattern: RegExp;
	/** Renders the form from its operands' expression text; `alone` is false inside a chain. */
	render(operands: readonly string[], alone: boolean): string;
	/** A form that is a calculation by itself ("15% of 80"), unlike a bare number. */
	compound: boolean;
}

const OPERAND_FORMS: readonly OperandForm[] = [
	{
		pattern: new RegExp(String.raw`^(?:the\s+)?square root of\s+${ATOM}`, "i"),
		render: ([a]) => `sqrt(${a})`,
		compound: true,
	},
	{
		pattern: new RegExp(String.raw`^(?:the\s+)?absolute value of\s+${ATOM}`, "i"),
		render: ([a]) => `abs(${a})`,
		compound: true,
	},
	{
		// "15% of 80" is 15 hundredths of 80: multiplied first, so whole numbers stay exact.
		pattern: new RegExp(String.raw`^${ATOM}\s*(?:%|percent|per cent)\s+of\s+${ATOM}`, "i"),
		render: ([a, b], alone) => (alone ? `${a} * ${b} / 100` : `(${a} * ${b} / 100)`),
		compound: true,
	},
	{ pattern: new RegExp(`^${ATOM}`, "i"), render: ([a]) => a ?? "", compound: false },
];

/** Operator words and symbols, longest first ("**" before "*"). */
const OPERATORS: ReadonlyArray<readonly [RegExp, string]> = [
	[/^\s*(?:\*\*|\^)\s*|^\s+(?:to the power of|raised to(?: the power of)?)\s+/i, "**"],
	[/^\s*\*\s*|^\s+(?:times|multiplied by|x)\s+/i, "*"],
	[/^\s*\/\s*|^\s+(?:divided by|over)\s+/i, "/"],
	[/^\s*\+\s*|^\s+(?:plus|added to)\s+/i, "+"],
	[/^\s+-\s+|^\s+(?:minus|less)\s+/i, "-"],
];

type Piece = { form: OperandForm; count: number } | { operator: string };

/** A chain read from words: its raw operands in order, and how to combine their expressions. */
export interface Chain {
	atoms: string[];
	combine(...operands: string[]): string;
}

/**
 * Reads "12 times 7 plus 3", "2 to the power of 10 minus 24", "the square root of 144 plus 1"
 * into symbols, in the order written. The calculator then applies the usual precedence, so the
 * words mean what they mean in mathematics: 12 * 7 + 3 is 87, not 12 * 10.
 */
export function readChain(text: string): Chain | undefined {
	const atoms: string[] = [];
	const pieces: Piece[] = [];
	let rest = text.trim();
	for (;;) {
		const operand = readOperand(rest);
		if (!operand) return undefined;
		atoms.push(...operand.atoms);
		pieces.push({ form: operand.form, count: operand.atoms.length });
		rest = rest.slice(operand.length);
		if (rest === "") break;
		const operator = readOperator(rest);
		if (!operator) return undefined;
		pieces.push({ operator: operator.symbol });
		rest = rest.slice(operator.length);
	}
	const alone = pieces.length === 1;
	if (alone && !pieces.some((piece) => "form" in piece && piece.form.compound)) return undefined;
	return {
		atoms,
		combine: (...operands) => {
			let next = 0;
			return pieces
				.map((piece) => {
					if ("operator" in piece) return piece.operator;
					const taken = operands.slice(next, next + piece.count);
					next += piece.count;
					return piece.form.render(taken, alone);
				})
				.join(" ");
		},
	};
}

function readOperand(text: string) {
	for (const form of OPERAND_FORMS) {
		const match = form.pattern.exec(text);
		if (!match) continue;
		const atoms = match.slice(1).filter((atom): atom is string => atom !== undefined);
		return { form, atoms, length: match[0].length };
	}
	return undefined;
}

function readOperator(text: string) {
	for (const [pattern, symbol] of OPERATORS) {
		const match = pattern.exec(text);
		if (match) return { symbol, length: match[0].length };
	}
	return undefined;
}
