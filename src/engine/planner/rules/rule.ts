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

/** A clause a rule understood well enough to know it must not be planned by rules. */
export interface Refusal {
	reason: "bulk_change";
	/** The whole message for the user: what was refused, why, and what to do instead. */
	message: string;
}

/** What a rule read: one call, several calls in order, or a reasoned refusal. */
export type Reading = PlannedCall | readonly PlannedCall[] | Refusal;

export interface RuleContext {
	/** The latest step whose output is a number, for "the result", "it" and "that". */
	previousResultStep: number | null;
	/** The tool of the step just before this clause, for "and another to ...". */
	previousTool: string | null;
	/** The number the clause's first call will get, for references between its own calls. */
	nextStep: number;
}

/** A small, readable rule: a clause in, what it reads out, or undefined when it does not apply. */
export interface Rule {
	name: string;
	match(clause: string, context: RuleContext): Reading | undefined;
}

/** Tells a refusal from calls. */
export function isRefusal(reading: Reading): reading is Refusal {
	return "reason" in reading;
}
