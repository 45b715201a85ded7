import type { Planner } from "../types";
import { symbolicArithmetic, wordArithmetic } from "./arithmetic";
import { refuseBulkClear } from "./bulk";
import { readClauses } from "./read";
import type { Rule } from "./rule";
import { toSteps } from "./steps";
import { normalisePrompt, splitSegments } from "./text";
import {
	addAnotherTodo,
	addTodo,
	completeTodo,
	countTodos,
	deleteTodo,
	getTodo,
	listTodos,
} from "./todos";
import { waitRule } from "./wait";

/** Tried in order; the first rule that reads a clause wins. */
export const RULES: readonly Rule[] = [
	waitRule,
	countTodos,
	listTodos,
	addTodo,
	addAnotherTodo,
	completeTodo,
	getTodo,
	symbolicArithmetic,
	wordArithmetic,
	deleteTodo,
	refuseBulkClear,
];

const EXAMPLES = [
	"calculate (2 + 3) * 4",
	"15 plus 27",
	"what is 15% of 80",
	"add a todo to buy milk",
	"add eggs, bread and butter to my shopping list",
	"show me my todos",
	"how many todos do I have",
	"mark buy milk as done",
	"compute 2+2 then multiply the result by 10",
	"wait 5 seconds",
];

/**
 * The default planner: splits the prompt into clauses and reads each with a table of small rules.
 * "The result" refers to the latest calculation. A clause no rule reads makes the whole prompt
 * unplannable, because a guessed plan is worse than a clear refusal; so does a bulk change.
 */
export const rulesPlanner: Planner = {
	name: "rules",
	async plan(prompt) {
		const text = normalisePrompt(prompt);
		const clauses = readClauses(splitSegments(text), RULES, EXAMPLES);
		return { goal: text, steps: toSteps(clauses) };
	},
};
