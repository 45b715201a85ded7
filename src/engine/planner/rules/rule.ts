import type { Json } from "../../json";

/** One tool call a rule read out of a clause. */
export interface PlannedCall {
	tool: string;
	input: Record<string, Json>;
	/** Why: shown as the step's reasoning. */
	reasoning: string;
	/** A clause ending in a free-text title may absorb an unmatched tail ("milk and eggs"). */
	takesTitle?: boolean;
}

export interface RuleContext {
	/** The latest step whose output is a number, for "the result", "it" and "that". */
	previousResultStep: number | null;
}

/** A small, readable rule: a clause in, a tool call out, or undefined when it does not apply. */
export interface Rule {
	name: string;
	match(clause: string, context: RuleContext): PlannedCall | undefined;
}
