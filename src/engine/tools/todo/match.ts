import type { Todo, TodoOutcome, TodoRef } from "./port";

/** Folds case, spacing and compatibility forms so "Buy  Milk" finds "buy milk". */
export function normaliseTitle(title: string): string {
	return title.normalize("NFKC").trim().replace(/\s+/g, " ").toLowerCase();
}

/**
 * Picks the one todo a reference means. An exact title wins over partial matches; several
 * candidates are an error that names them, because guessing which to delete is worse than asking.
 */
export function resolveTodo(todos: readonly Todo[], ref: TodoRef): TodoOutcome<Todo> {
	if ("id" in ref) {
		const found = todos.find((todo) => todo.id === ref.id);
		return found
			? { ok: true, value: found }
			: { ok: false, code: "todo_not_found", message: `No todo has id '${ref.id}'` };
	}
	const wanted = normaliseTitle(ref.title);
	const exact = todos.filter((todo) => normaliseTitle(todo.title) === wanted);
	const candidates =
		exact.length > 0 ? exact : todos.filter((todo) => normaliseTitle(todo.title).includes(wanted));
	const [first, second] = candidates;
	if (!first) {
		return {
			ok: false,
			code: "todo_not_found",
			message: `No todo matches the title '${ref.title}'`,
		};
	}
	if (second) {
		const names = candidates.map((todo) => `'${todo.title}' (${todo.id})`).join(", ");
		return {
			ok: false,
			code: "todo_ambiguous",
			message: `${candidates.length} todos match the title '${ref.title}': ${names}; name one by id`,
		};
	}
	return { ok: true, value: first };
}
