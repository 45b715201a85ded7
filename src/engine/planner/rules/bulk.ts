import type { Refusal, Rule } from "./rule";
import { cleanTitle } from "./text";
import { ITEMS, LIST_NAME, statusOf } from "./todo-words";

// A target led by a quantifier ("all completed todos", "everything", "each task"). Followed by a
// space or the end, so "everyone's forms" stays a title.
const QUANTIFIED =
	/^(?:all|every|everything|everyone|everybody|each|any|anything|both|whole|entire|rest|remaining|the rest)(?=\s|$)/i;
// A target that is a plural of todos or a stand-in for several ("the done ones", "my todos", "them").
const PLURAL = /(?:^|\s)(?:todos|to-dos|tasks|items|reminders|entries|ones|them|those|these)$/i;
const WHOLE_LIST = new RegExp(String.raw`^(?:(?:whole|entire)\s+)?${LIST_NAME}$`, "i");
const LEADING_DETERMINER = /^(?:(?:the|my|our|your|of)\s+)+/i;
const CONJUNCTION = /\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+/i;

/**
 * True when the target of a delete or complete names several todos rather than one title. Each
 * part of "X and Y" is checked, so "buy milk and all the rest" counts too.
 */
export function isBulkTarget(raw: string): boolean {
	const target = cleanTitle(raw);
	return target.split(CONJUNCTION).some((part) => {
		const bare = part.replace(LEADING_DETERMINER, "").trim();
		return QUANTIFIED.test(bare) || PLURAL.test(bare) || WHOLE_LIST.test(bare);
	});
}

/**
 * Why a bulk change is refused, and what to do instead. The rules planner turns one clause into
 * one call on one named todo; "delete all completed todos" would become a delete of a todo
 * titled "all completed todos", or of whatever its words happen to match.
 */
export function bulkRefusal(clause: string, action: "delete" | "complete"): Refusal {
	// What to complete is open by definition; what to delete is whatever the clause filters on.
	const status = action === "complete" ? "open" : statusOf(clause);
	const listing = { all: "show my todos", open: "show open todos", done: "show completed todos" }[
		status
	];
	return {
		reason: "bulk_change",
		message:
			`Bulk changes are not planned by the rules planner: "${clause}" names several todos, ` +
			`and the rules ${action} one todo by its title. List them first ("${listing}"), then ` +
			`${action} each by title ("${action} the todo <title>"), or use the LLM planner ` +
			`(planner: "llm") or send a plan you wrote.`,
	};
}

/** "clear my list", "empty the todo list": refused with the reason, rather than not understood. */
export const refuseBulkClear: Rule = {
	name: "refuse clearing the list",
	match(clause) {
		const clear = new RegExp(
			String.raw`^(?:clear|empty|wipe|purge|reset)(?:\s+out)?\s+(?:(?:all\s+)?(?:of\s+)?(?:my|the)\s+)?(?:(?:whole|entire)\s+)?${ITEMS}$`,
			"i",
		);
		return clear.test(clause) ? bulkRefusal(clause, "delete") : undefined;
	},
};
