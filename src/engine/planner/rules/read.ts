import { AppError } from "../../errors";
import { isRefusal, type PlannedCall, type Reading, type Rule, type RuleContext } from "./rule";
import type { Segment } from "./text";

/** A piece of the prompt and the calls read from it, in order. */
export interface Clause {
	text: string;
	calls: readonly PlannedCall[];
}

const TITLE_JOINER = /^\s*(?:,\s*)?(?:and\s+)?$/i;

/**
 * Reads the segments into clauses with the rules, shortest match first. Throws the planner's
 * refusal (unplannable_prompt) naming the text no rule reads, or the clause a rule refused.
 */
export function readClauses(
	segments: readonly Segment[],
	rules: readonly Rule[],
	examples: readonly string[],
): Clause[] {
	const clauses: Clause[] = [];
	let index = 0;
	while (index < segments.length) {
		const taken = matchShortest(segments, index, rules, contextFor(clauses));
		if (taken) {
			clauses.push(accept(taken.text, taken.reading, examples));
			index = taken.next;
			continue;
		}
		// An unmatched fragment joined by "and" or a comma to a title is part of that title:
		// "buy milk and eggs". After "then" or a full stop it is a new instruction.
		const previous = clauses.at(-1);
		const segment = segments[index];
		if (previous && titled(previous) && segment && TITLE_JOINER.test(segment.separator)) {
			const merged = `${previous.text}${segment.separator}${segment.text}`;
			const reading = matchRule(merged, rules, contextFor(clauses.slice(0, -1)));
			if (reading) {
				clauses[clauses.length - 1] = accept(merged, reading, examples);
				index += 1;
				continue;
			}
		}
		throw unplannable(unread(segments, index, rules, contextFor(clauses)), examples);
	}
	if (clauses.length === 0) throw unplannable(join(segments), examples);
	return clauses;
}

function titled(clause: Clause): boolean {
	return clause.calls.length === 1 && clause.calls[0]?.takesTitle === true;
}

function accept(text: string, reading: Reading, examples: readonly string[]): Clause {
	if (isRefusal(reading)) {
		throw new AppError("unplannable_prompt", reading.message, {
			clause: text,
			reason: reading.reason,
			examples,
		});
	}
	return { text, calls: Array.isArray(reading) ? reading : [reading] };
}

/** The shortest run of segments from `start` that some rule reads ("the sum of 2 and 3"). */
function matchShortest(
	segments: readonly Segment[],
	start: number,
	rules: readonly Rule[],
	context: RuleContext,
) {
	let joined = "";
	for (let end = start; end < segments.length; end += 1) {
		const segment = segments[end];
		if (!segment) break;
		joined = end === start ? segment.text : `${joined}${segment.separator}${segment.text}`;
		const reading = matchRule(joined, rules, context);
		if (reading) return { text: joined, reading, next: end + 1 };
	}
	return undefined;
}

function matchRule(
	clause: string,
	rules: readonly Rule[],
	context: RuleContext,
): Reading | undefined {
	for (const rule of rules) {
		const reading = rule.match(clause, context);
		if (reading && !(Array.isArray(reading) && reading.length === 0)) return reading;
	}
	return undefined;
}

/**
 * The whole unread stretch from `start`: every segment up to the next one a rule reads. Naming
 * only the first segment would blame "send eggs" for "send eggs, bread and butter to grandma".
 */
function unread(
	segments: readonly Segment[],
	start: number,
	rules: readonly Rule[],
	context: RuleContext,
): string {
	let end = start + 1;
	while (end < segments.length && !matchShortest(segments, end, rules, context)) end += 1;
	return join(segments.slice(start, end));
}

/** Where the next clause stands: its first step number, the latest number, the last tool. */
export function contextFor(clauses: readonly Clause[]): RuleContext {
	const calls = clauses.flatMap((clause) => clause.calls);
	const index = calls.findLastIndex((call) => call.tool === "calculator");
	return {
		previousResultStep: index === -1 ? null : index + 1,
		previousTool: calls.at(-1)?.tool ?? null,
		nextStep: calls.length + 1,
	};
}

/** The segments' text as written, without the separator before the first. */
function join(segments: readonly Segment[]): string {
	return segments
		.map((segment, index) => (index === 0 ? segment.text : `${segment.separator}${segment.text}`))
		.join("");
}

function unplannable(clause: string, examples: readonly string[]): AppError {
	return new AppError(
		"unplannable_prompt",
		clause === ""
			? "The prompt has nothing to plan"
			: `No rule understands "${clause}". Rephrase it, or configure an LLM planner.`,
		{ clause, examples },
	);
}
