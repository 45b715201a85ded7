import type { PlannedCall, Rule } from "./rule";
import { cleanTitle } from "./text";

const ITEM = "(?:todo|to-do|task|item|reminder)";
const ITEMS = "(?:todos|to-dos|tasks|items|reminders|todo list|to-do list|task list|list)";

function titled(tool: string, reasoning: string, raw: string | undefined): PlannedCall | undefined {
	const title = cleanTitle(raw ?? "");
	if (title === "") return undefined;
	return { tool, input: { title }, reasoning: `${reasoning} '${title}'`, takesTitle: true };
}

function firstMatch(clause: string, patterns: readonly RegExp[]): string | undefined {
	for (const regex of patterns) {
		const match = regex.exec(clause);
		if (match?.[1]) return match[1];
	}
	return undefined;
}

/** "add a todo to buy milk", "remind me to call mom", "create a task: X", "add X to my list". */
export const addTodo: Rule = {
	name: "add a todo",
	match(clause) {
		const raw = firstMatch(clause, [
			new RegExp(
				String.raw`^(?:add|create|make|put|new|set up|write down|jot down)\s+(?:me\s+)?(?:a|an|another|one)?\s*(?:new\s+)?${ITEM}\b\s*(?:to|for|called|named|titled|saying|that says|:|-)?\s*(.+)$`,
				"i",
			),
			/^(?:remind me to|i need to|don't forget to|dont forget to|remember to)\s+(.+)$/i,
			new RegExp(String.raw`^(?:add|put)\s+(.+?)\s+(?:to|on)\s+(?:my|the)\s+${ITEMS}$`, "i"),
		]);
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
		const onList =
			/^what(?:'s| is)?\s+(?:on|in)\s+(?:my|the)\s+(?:todo\s+|to-do\s+|task\s+)?list$/i;
		if (!asks.test(clause) && !onList.test(clause)) return undefined;
		const status =
			/\b(?:open|pending|incomplete|remaining|outstanding|unfinished|undone|left)\b/i.test(clause)
				? "open"
				: /\b(?:done|completed|finished|complete)\b/i.test(clause)
					? "done"
					: "all";
		return { tool: "todo.list", input: { status }, reasoning: `List ${status} todos` };
	},
};

/** "mark X as done", "complete the todo X", "check off X". */
export const completeTodo: Rule = {
	name: "complete a todo",
	match(clause) {
		const raw = firstMatch(clause, [
			/^(?:mark|set|flag)\s+(.+?)\s+(?:as\s+)?(?:done|complete|completed|finished)$/i,
			/^(?:complete|finish|check off|tick off|cross off)\s+(.+)$/i,
			/^(.+?)\s+is\s+(?:done|finished|complete)$/i,
		]);
		return titled("todo.complete", "Mark as done the todo", raw);
	},
};

/** "delete the todo X", "remove X from my list". */
export const deleteTodo: Rule = {
	name: "delete a todo",
	match(clause) {
		const raw = firstMatch(clause, [/^(?:delete|remove|drop|erase|get rid of)\s+(.+)$/i]);
		return titled("todo.delete", "Delete the todo", raw);
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
