/** A todo as stored and returned by every todo tool. A type alias, so it is assignable to Json. */
export type Todo = {
	id: string;
	title: string;
	done: boolean;
	created_at: string;
	completed_at: string | null;
};

export type TodoList = { todos: Todo[]; total: number };

export type TodoStatusFilter = "all" | "open" | "done";

/** Which todo a call means: an exact id, or a title to match. */
export type TodoRef = { id: string } | { title: string };

export type TodoOutcome<T> =
	| { ok: true; value: T }
	| { ok: false; code: TodoErrorCode; message: string };

export type TodoErrorCode = "todo_not_found" | "todo_ambiguous" | "invalid_todo";

/**
 * What the todo tools need from storage. The per-tenant TodoStore Durable Object implements it;
 * mutations carry the step's idempotency key so a repeated delivery applies once.
 */
export interface TodoPort {
	add(title: string, idempotencyKey: string): Promise<TodoOutcome<Todo>>;
	/** The `limit` most recent todos, oldest first, and how many match in all. */
	list(status: TodoStatusFilter, limit: number): Promise<TodoOutcome<TodoList>>;
	get(ref: TodoRef): Promise<TodoOutcome<Todo>>;
	complete(ref: TodoRef, idempotencyKey: string): Promise<TodoOutcome<Todo>>;
	delete(ref: TodoRef, idempotencyKey: string): Promise<TodoOutcome<Todo>>;
	/** Puts a deleted todo back exactly as it was (compensating a delete). */
	restore(todo: Todo, idempotencyKey: string): Promise<TodoOutcome<Todo>>;
}
