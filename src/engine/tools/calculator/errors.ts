/** A malformed expression: the message names what was wrong and where. */
export class CalculatorSyntaxError extends Error {}

/** A deterministic evaluation failure, such as division by zero; never worth a retry. */
export class CalculatorMathError extends Error {}
