import { bulkRefusal, isBulkTarget } from "./bulk";
import type { PlannedCall, Reading, Rule } from "./rule";
import { cleanTitle } from "./text";
import { ITEM, ITEMS, LIST_NAME, statusOf } from "./todo-words";

function titled(tool: string, reasoning: string, raw: string | undefined): PlannedCall | undefined {
	const title = cleanTitle(raw ?? "");
	if (title === "") return undefined;
	return { tool, input: { title }, reasoning: `${reasoning} '${title}'`, takesTitle: true };
}

/** A change to one named todo; a target naming several is refused, never guessed at. */
function changeOne(
	clause: string,
	action: "delete" | "complete",
	raw: string | undefined,
): Reading | undefined {
	if (raw === undefined) return undefined;
	if (isBulkTarget(raw)) return bulkRefusal(clause, action);
	return action === "delete"
		? titled("todo.delete", "Delete the todo", raw)
		: titled("todo.complete", "Mark as done the todo", raw);
}

function firstMatch(clause: string, patterns: readonly RegExp[]): string | undefined {
	for (const regex of patterns) {
		const match = regex.exec(clause);
		if (match?.[1]) return match[1];
	}
	return undefined;
}

const ADD_ONE = [
	new RegExp(
		String.raw`^(?:add|create|make|put|new|set up|write down|jot down)\s+(?:me\s+)?(?:a|an|another|one)?\s*(?:new\s+)?${ITEM}\b\s*(?:to|for|called|named|titled|saying|that says|:|-)?\s*(.+)$`,
		"i",
	),
	/^(?:remind me to|i need to|don't forget to|dont forget to|remember to)\s+(.+)$/i,
];
const ADD_TO_LIST = new RegExp(
	String.raw`^(?:add|put)\s+(.+?)\s+(?:to|onto|on)\s+(?:my|the)\s+${ITEMS}$`,
	"i",
);
// Commas, and the "and"/"or" closing the enumeration after the last comma ("a, b, and c").
const ENUMERATION = /\s*,\s*(?:(?:and|or)\s+)?|\s+(?:and|or)\s+(?=[^,]*$)/i;

/**
 * "add a todo to buy milk", "remind me to call mom", "add X to my list", and one todo per item of
 * "add eggs, bread and butter to my shopping list". Only a comma marks an enumeration: without
 * one, "and" may belong to the name ("mac and cheese", "a todo to buy milk and eggs"), so the
 * text stays one title; and only the bare "add X to my list" form is split, because "a todo to
 * buy eggs, bread and butter" names one task.
 */
export const addTodo: Rule = {
	name: "add a todo",
	match(clause) {
		const one = firstMatch(clause, ADD_ONE);
		if (one !== undefined) return titled("todo.add", "Add the todo", one);
		const items = ADD_TO_LIST.exec(clause)?.[1];
		if (items === undefined) return undefined;
		if (!items.includes(",")) return titled("todo.add", "Add the todo", items);
		const calls = items.split(ENUMERATION).map((item) => titled("todo.add", "Add the todo", item));
		return calls.every((call): call is PlannedCall => call !== undefined) ? calls : undefined;
	},
};

/** "... and another to feed the cat", right after adding a todo. */
export const addAnotherTodo: Rule = {
	name: "add another todo",
	match(clause, context) {
		if (context.previousTool !== "todo.add") return undefined;
		const raw = new RegExp(
			String.raw`^(?:another|one more)(?:\s+(?:one|${ITEM}))?\s*(?:to|for|called|named|titled|saying|:)\s*(.+)$`,
			"i",
		).exec(clause)?.[1];
		return titled("todo.add", "Add the todo", raw);
	},
};

/** "show me my todos", "what's on my list", "list open tasks", "what have I finished". */
export const listTodos: Rule = {
	name: "list todos",
	match(clause) {
		const asks = new RegExp(
			String.raw`^(?:show|list|display|view|see|get|give|tell|check|read|print|what(?:'s| is| are)?|whats|which)\b.*\b${ITEMS}$`,
			"i",
		);
		const onList = new RegExp(
			String.raw`^what(?:'s| is)?\s+(?:on|in)\s+(?:my|the)\s+${LIST_NAME}$`,
			"i",
		);
		if (!asks.test(clause) && !onList.test(clause)) return undefined;
		const status = statusOf(clause);
		return { tool: "todo.list", input: { status }, reasoning: `List ${status} todos` };
	},
};

/**
 * "how many todos do I have", "count my open tasks": the list's `total`, read into a number by a
 * calculator step, so the run's result is the count and "double it" can follow.
 */
export const countTodos: Rule = {
	name: "count todos",
	match(clause, context) {
		const asks = new RegExp(
			String.raw`^(?:how many|count|tally|what(?:'s| is) the number of)\b.*\b(?:todos|to-dos|tasks|items|reminders|things on my ${LIST_NAME})\b`,
			"i",
		);
		if (!asks.test(clause)) return undefined;
		const status = statusOf(clause);
		const listStep = context.nextStep;
		const calls: PlannedCall[] = [
			{
				tool: "todo.list",
				input: { status, limit: 1 },
				reasoning: `List ${status} todos for their total`,
			},
			{
				tool: "calculator",
				input: {
					expression: "count",
					variables: { count: { $ref: `steps.${listStep}.output.total` } },
				},
				reasoning: `Read the count of ${status} todos from step ${listStep}`,
			},
		];
		return calls;
	},
};

/** "mark X as done", "complete the todo X", "check off X". */
export const completeTodo: Rule = {
	name: "complete a todo",
	match(clause) {
		const raw = firstMatch(clause, [
			/^(?:mark|set|flag)\s+(.+?)\s+(?:as\s+)?(?:done|complete|completed|finished)$/i,
			/^(?:complete|finish|check off|tick off|cross off)\s+(.+)$/i,
			/^(.+?)\s+(?:is|are)\s+(?:done|finished|complete)$/i,
		]);
		return changeOne(clause, "complete", raw);
	},
};

/** "delete the todo X", "remove X from my list". */
export const deleteTodo: Rule = {
	name: "delete a todo",
	match(clause) {
		const raw = firstMatch(clause, [/^(?:delete|remove|drop|erase|get rid of)\s+(.+)$/i]);
		return changeOne(clause, "delete", raw);
	},
};

/** "show the todo X", "find the task X". */
export const getTodo: Rule = {
	name: "get a todo",
	match(clause) {
		const raw = firstMatch(clause, [
			new RegExp(
				String.raw`^(?:show|get|find|open|look up)\s+(?:me\s+)?(?:the\s+)?${ITEM}\s+(.+)$`,
				"i",
			),
		]);
		return titled("todo.get", "Show the todo", raw);
	},
};
