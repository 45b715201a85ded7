import { CalculatorMathError, CalculatorSyntaxError } from "./errors";
import { describeArity, FUNCTIONS } from "./functions";
import { type Token, tokenize } from "./lexer";

export { CalculatorMathError } from "./errors";

export const MAX_EXPRESSION_LENGTH = 1_000;
export const MAX_NESTING_DEPTH = 100;

/**
 * Evaluates an arithmetic expression with a recursive-descent parser.
 *
 * Precedence, lowest first: + -, then * /, then unary + -, then ** and ^ (right-associative,
 * binding tighter than a unary minus on their left, so -2**2 is -4). Identifiers are allowed only
 * when `variables` names them, which is how a plan feeds an earlier step's output in, or as a
 * call of an allowlisted function (sqrt, abs, round, floor, ceil, min, max, ln, log, exp).
 */
export function evaluate(source: string, variables: Readonly<Record<string, number>> = {}): number {
	if (source.length > MAX_EXPRESSION_LENGTH) {
		throw new CalculatorSyntaxError(
			`Expression is longer than ${MAX_EXPRESSION_LENGTH} characters (${source.length})`,
		);
	}
	if (source.trim() === "") throw new CalculatorSyntaxError("Expression is empty");
	const parser = new Parser(tokenize(source), variables);
	const value = parser.parseExpression(0);
	parser.expectEnd();
	return normalise(value);
}

class Parser {
	private index = 0;

	constructor(
		private readonly tokens: Token[],
		private readonly variables: Readonly<Record<string, number>>,
	) {}

	parseExpression(depth: number): number {
		let value = this.parseTerm(depth);
		for (;;) {
			const token = this.peek();
			if (token.kind !== "operator" || (token.text !== "+" && token.text !== "-")) return value;
			this.index += 1;
			const right = this.parseTerm(depth);
			value = checked(token.text === "+" ? value + right : value - right);
		}
	}

	expectEnd(): void {
		const token = this.peek();
		if (token.kind !== "end") throw unexpected(token);
	}

	private parseTerm(depth: number): number {
		let value = this.parseUnary(depth);
		for (;;) {
			const token = this.peek();
			if (token.kind !== "operator" || (token.text !== "*" && token.text !== "/")) return value;
			this.index += 1;
			const right = this.parseUnary(depth);
			if (token.text === "/" && right === 0) throw new CalculatorMathError("Division by zero");
			value = checked(token.text === "*" ? value * right : value / right);
		}
	}

	private parseUnary(depth: number): number {
		const token = this.peek();
		if (token.kind === "operator" && (token.text === "-" || token.text === "+")) {
			this.enter(depth, token);
			this.index += 1;
			const operand = this.parseUnary(depth + 1);
			return token.text === "-" ? -operand : operand;
		}
		return this.parsePower(depth);
	}

	private parsePower(depth: number): number {
		const base = this.parsePrimary(depth);
		const token = this.peek();
		if (token.kind !== "operator" || (token.text !== "**" && token.text !== "^")) return base;
		this.enter(depth, token);
		this.index += 1;
		const exponent = this.parseUnary(depth + 1);
		return checked(base ** exponent);
	}

	private parsePrimary(depth: number): number {
		const token = this.next();
		switch (token.kind) {
			case "number":
				return checked(token.value);
			case "identifier": {
				if (this.peekIsParen("(")) return this.parseCall(token, depth);
				const value = Object.hasOwn(this.variables, token.text)
					? this.variables[token.text]
					: undefined;
				if (typeof value !== "number") {
					const lower = token.text.toLowerCase();
					throw new CalculatorSyntaxError(
						FUNCTIONS.has(lower)
							? `'${token.text}' is a function: call it as ${lower}(...) at position ${token.position}`
							: `Unknown name '${token.text}' at position ${token.position}`,
					);
				}
				return checked(value);
			}
			case "paren": {
				if (token.text === ")") throw unexpected(token);
				this.enter(depth, token);
				const value = this.parseExpression(depth + 1);
				this.expectClose(token);
				return value;
			}
			default:
				throw unexpected(token);
		}
	}

	/** `name(arg, ...)`: the name must be allowlisted and the argument count must fit it. */
	private parseCall(name: Token, depth: number): number {
		const fn = FUNCTIONS.get(name.text.toLowerCase());
		if (!fn) {
			throw new CalculatorSyntaxError(
				`Unknown function '${name.text}' at position ${name.position}`,
			);
		}
		const open = this.next();
		this.enter(depth, open);
		const args: number[] = [];
		if (!this.peekIsParen(")")) {
			do {
				args.push(this.parseExpression(depth + 1));
			} while (this.skipComma());
		}
		this.expectClose(open);
		if (args.length < fn.min || (fn.max !== undefined && args.length > fn.max)) {
			throw new CalculatorSyntaxError(
				`${describeArity(name.text.toLowerCase(), fn)}, not ${args.length}, at position ${name.position}`,
			);
		}
		return checked(fn.apply(args));
	}

	private expectClose(open: Token): void {
		const close = this.next();
		if (close.kind === "paren" && close.text === ")") return;
		if (close.kind === "end") {
			throw new CalculatorSyntaxError(
				`Unclosed '(' at position ${open.position}: expected ')' at position ${close.position}`,
			);
		}
		throw unexpected(close);
	}

	private peekIsParen(text: "(" | ")"): boolean {
		const token = this.peek();
		return token.kind === "paren" && token.text === text;
	}

	private skipComma(): boolean {
		if (this.peek().kind !== "comma") return false;
		this.index += 1;
		return true;
	}

	private enter(depth: number, token: Token): void {
		if (depth >= MAX_NESTING_DEPTH) {
			throw new CalculatorSyntaxError(
				`Expression is nested deeper than ${MAX_NESTING_DEPTH} levels at position ${token.position}`,
			);
		}
	}

	private peek(): Token {
		// The token list always ends with an "end" token, which is never consumed past.
		return this.tokens[this.index] ?? this.endToken();
	}

	private next(): Token {
		const token = this.peek();
		if (token.kind !== "end") this.index += 1;
		return token;
	}

	private endToken(): Token {
		const last = this.tokens[this.tokens.length - 1];
		return { kind: "end", text: "", position: last?.position ?? 0 };
	}
}

function unexpected(token: Token): CalculatorSyntaxError {
	if (token.kind === "end") {
		return new CalculatorSyntaxError(`Unexpected end of expression at position ${token.position}`);
	}
	return new CalculatorSyntaxError(
		`Unexpected token '${token.text}' at position ${token.position}`,
	);
}

function checked(value: number): number {
	if (!Number.isFinite(value)) throw new CalculatorMathError("Result is not a finite number");
	return value;
}

/** Trims binary floating-point noise (0.1 + 0.2) and turns -0 into 0. */
function normalise(value: number): number {
	const rounded = Number(value.toPrecision(15));
	return rounded === 0 ? 0 : rounded;
}
