import { CalculatorSyntaxError } from "./errors";

export { CalculatorSyntaxError } from "./errors";

/** Tokens of the calculator language. Positions are 0-based offsets into the expression. */
export type Token =
	| { kind: "number"; value: number; text: string; position: number }
	| { kind: "identifier"; text: string; position: number }
	| { kind: "operator"; text: "+" | "-" | "*" | "/" | "**" | "^"; position: number }
	| { kind: "paren"; text: "(" | ")"; position: number }
	| { kind: "comma"; text: ","; position: number }
	| { kind: "end"; text: ""; position: number };

const NUMBER = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*/;
const SINGLE_CHAR_OPERATORS = new Set(["+", "-", "*", "/", "^"]);

/** Splits an expression into tokens, rejecting any character outside the language. */
export function tokenize(source: string): Token[] {
	const tokens: Token[] = [];
	let position = 0;
	while (position < source.length) {
		const char = source.charAt(position);
		if (char === " " || char === "\t" || char === "\n" || char === "\r") {
			position += 1;
			continue;
		}
		const rest = source.slice(position);
		const number = NUMBER.exec(rest);
		if (number) {
			tokens.push({ kind: "number", value: Number(number[0]), text: number[0], position });
			position += number[0].length;
			continue;
		}
		const identifier = IDENTIFIER.exec(rest);
		if (identifier) {
			tokens.push({ kind: "identifier", text: identifier[0], position });
			position += identifier[0].length;
			continue;
		}
		if (rest.startsWith("**")) {
			tokens.push({ kind: "operator", text: "**", position });
			position += 2;
			continue;
		}
		if (SINGLE_CHAR_OPERATORS.has(char)) {
			tokens.push({ kind: "operator", text: char as "+" | "-" | "*" | "/" | "^", position });
			position += 1;
			continue;
		}
		if (char === ",") {
			tokens.push({ kind: "comma", text: char, position });
			position += 1;
			continue;
		}
		if (char === "(" || char === ")") {
			tokens.push({ kind: "paren", text: char, position });
			position += 1;
			continue;
		}
		const shown = String.fromCodePoint(source.codePointAt(position) ?? 0);
		throw new CalculatorSyntaxError(`Unexpected character '${shown}' at position ${position}`);
	}
	tokens.push({ kind: "end", text: "", position });
	return tokens;
}
