/** One todo, as people name it. */
export const ITEM = "(?:todo|to-do|task|item|reminder)";
/** The list the todos live on: any of these names means the tenant's one todo list. */
export const LIST_NAME = String.raw`(?:(?:todo|to-do|task|shopping|grocery|groceries)\s+)?list`;
/** Several todos, or the list holding them. */
export const ITEMS = `(?:todos|to-dos|tasks|items|reminders|${LIST_NAME})`;

export type TodoStatus = "all" | "open" | "done";

/** The status filter a clause asks for: "open tasks", "completed todos", else all. */
export function statusOf(clause: string): TodoStatus {
	if (/\b(?:open|pending|incomplete|remaining|outstanding|unfinished|undone|left)\b/i.test(clause))
		return "open";
	if (/\b(?:done|completed|finished|complete)\b/i.test(clause)) return "done";
	return "all";
}
