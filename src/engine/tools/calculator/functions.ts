import { CalculatorMathError } from "./errors";

interface CalculatorFunction {
	/** Fewest and most arguments; `max` undefined means any number from `min` up. */
	min: number;
	max?: number;
	apply(args: readonly number[]): number;
}

function unary(apply: (x: number) => number): CalculatorFunction {
	return { min: 1, max: 1, apply: ([x = Number.NaN]) => apply(x) };
}

function positive(name: string, apply: (x: number) => number): CalculatorFunction {
	return unary((x) => {
		if (x <= 0) throw new CalculatorMathError(`${name} needs a positive number, got ${x}`);
		return apply(x);
	});
}

/**
 * The only functions an expression may call, by lower-case name. A Map, so a name such as
 * "constructor" or "__proto__" finds nothing rather than something on Object.prototype.
 */
export const FUNCTIONS: ReadonlyMap<string, CalculatorFunction> = new Map([
	[
		"sqrt",
		unary((x) => {
			if (x < 0)
				throw new CalculatorMathError(`sqrt needs a number that is not negative, got ${x}`);
			return Math.sqrt(x);
		}),
	],
	["abs", unary(Math.abs)],
	// Half away from zero, as taught in school: Math.round would turn -2.5 into -2.
	["round", unary((x) => Math.sign(x) * Math.round(Math.abs(x)))],
	["floor", unary(Math.floor)],
	["ceil", unary(Math.ceil)],
	["min", { min: 1, apply: (args) => Math.min(...args) }],
	["max", { min: 1, apply: (args) => Math.max(...args) }],
	["ln", positive("ln", Math.log)],
	// Base 10, as on a pocket calculator; ln is the natural logarithm.
	["log", positive("log", Math.log10)],
	["exp", unary(Math.exp)],
]);

/** How a function's arity is stated in an error: "takes 1 argument", "takes at least 1 argument". */
export function describeArity(name: string, fn: CalculatorFunction): string {
	const count = fn.min === 1 ? "1 argument" : `${fn.min} arguments`;
	return fn.max === fn.min ? `${name} takes ${count}` : `${name} takes at least ${count}`;
}
