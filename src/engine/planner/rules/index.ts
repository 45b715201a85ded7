import { AppError } from "../../errors";
import type { Step } from "../../plan/model";
import type { Planner } from "../types";
import { symbolicArithmetic, wordArithmetic } from "./arithmetic";
import type { PlannedCall, Rule, RuleContext } from "./rule";
import { normalisePrompt, type Segment, splitSegments } from "./text";
import { addTodo, completeTodo, deleteTodo, getTodo, listTodos } from "./todos";
import { waitRule } from "./wait";

/** Tried in order; the first rule that reads a clause wins. */
export const RULES: readonly Rule[] = [
	waitRule,
	listTodos,
	addTodo,
	completeTodo,
	getTodo,
	symbolicArithmetic,
	wordArithmetic,
	deleteTodo,
];

const EXAMPLES = [
	"calculate (2 + 3) * 4",
	"15 plus 27",
	"add a todo to buy milk",
	"show me my todos",
	"mark buy milk as done",
	"compute 2+2 then multiply the result by 10",
	"wait 5 seconds",
];

const TITLE_JOINER = /^\s*(?:,\s*)?(?:and\s+)?$/i;

interface Clause {
	text: string;
	call: PlannedCall;
}

/**
 * The default planner: splits the prompt into clauses and reads each with a table of small rules.
 * Independent steps get no dependency, so they run in parallel; todo steps are chained in the
 * order written, and "the result" refers to the latest calculation. A clause no rule reads makes
 * the whole prompt unplannable, because a guessed plan is worse than a clear refusal.
 */
export const rulesPlanner: Planner = {
	name: "rules",
	async plan(prompt) {
		const text = normalisePrompt(prompt);
		const clauses = readClauses(splitSegments(text));
		return { goal: text, steps: toSteps(clauses) };
	},
};

function readClauses(segments: readonly Segment[]): Clause[] {
	const clauses: Clause[] = [];
	let index = 0;
	while (index < segments.length) {
		const context = contextFor(clauses);
		const taken = matchShortest(segments, index, context);
		if (taken) {
			clauses.push(taken.clause);
			index = taken.next;
			continue;
		}
		// An unmatched fragment joined by "and" or a comma to a title is part of that title:
		// "buy milk and eggs". After "then" or a full stop it is a new instruction.
		const previous = clauses.at(-1);
		const segment = segments[index];
		if (previous?.call.takesTitle && segment && TITLE_JOINER.test(segment.separator)) {
			const merged = `${previous.text}${segment.separator}${segment.text}`;
			const call = matchRule(merged, contextFor(clauses.slice(0, -1)));
			if (call) {
				clauses[clauses.length - 1] = { text: merged, call };
				index += 1;
				continue;
			}
		}
		throw unplannable(segment?.text ?? text(segments));
	}
	if (clauses.length === 0) throw unplannable(text(segments));
	return clauses;
}

/** The shortest run of segments from `start` that some rule reads ("the sum of 2 and 3"). */
function matchShortest(segments: readonly Segment[], start: number, context: RuleContext) {
	let joined = "";
	for (let end = start; end < segments.length; end += 1) {
		const segment = segments[end];
		if (!segment) break;
		joined = end === start ? segment.text : `${joined}${segment.separator}${segment.text}`;
		const call = matchRule(joined, context);
		if (call) return { clause: { text: joined, call }, next: end + 1 };
	}
	return undefined;
}

function matchRule(clause: string, context: RuleContext): PlannedCall | undefined {
	for (const rule of RULES) {
		const call = rule.match(clause, context);
		if (call) return call;
	}
	return undefined;
}

function contextFor(clauses: readonly Clause[]): RuleContext {
	const index = clauses.findLastIndex((clause) => clause.call.tool === "calculator");
	return { previousResultStep: index === -1 ? null : index + 1 };
}

function toSteps(clauses: readonly Clause[]): Step[] {
	let previousTodoStep: number | null = null;
	let barrier: number | null = null;
	return clauses.map((clause, index): Step => {
		const stepNumber = index + 1;
		const dependsOn = new Set<number>();
		const { tool } = clause.call;
		if (tool === "wait") {
			// A wait separates what comes before it from what comes after, as people mean it.
			for (let earlier = barrier ?? 0; earlier < stepNumber - 1; earlier += 1)
				dependsOn.add(earlier + 1);
			barrier = stepNumber;
		} else if (barrier !== null) {
			dependsOn.add(barrier);
		}
		if (tool.startsWith("todo.")) {
			// Todo calls touch one shared list, so they keep the order the user wrote them in.
			if (previousTodoStep !== null) dependsOn.add(previousTodoStep);
			previousTodoStep = stepNumber;
		}
		return {
			step_number: stepNumber,
			tool,
			input: clause.call.input,
			reasoning: `${clause.call.reasoning} (from "${clause.text}")`,
			depends_on: [...dependsOn].sort((a, b) => a - b),
			requires_approval: false,
		};
	});
}

function text(segments: readonly Segment[]): string {
	return segments.map((segment) => `${segment.separator}${segment.text}`).join("");
}

function unplannable(clause: string): AppError {
	return new AppError(
		"unplannable_prompt",
		clause === ""
			? "The prompt has nothing to plan"
			: `No rule understands "${clause}". Rephrase it, or configure an LLM planner.`,
		{ clause, examples: EXAMPLES },
	);
}
