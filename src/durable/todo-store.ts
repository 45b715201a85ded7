/**
 * TodoStore: one object per tenant (idFromName(tenant)) holding that tenant's todos in SQLite.
 *
 * Invariants: every mutation runs inside one synchronous transaction together with the record of
 * its idempotency key, so a repeated delivery returns the first outcome and never applies twice.
 * Methods never throw for user mistakes; they return a TodoOutcome the tools turn into errors.
 */
import { DurableObject } from "cloudflare:workers";
import { resolveTodo } from "../engine/tools/todo/match";
import type {
	Todo,
	TodoList,
	TodoOutcome,
	TodoPort,
	TodoRef,
	TodoStatusFilter,
} from "../engine/tools/todo/port";

interface TodoRow extends Record<string, SqlStorageValue> {
	id: string;
	title: string;
	done: number;
	created_at: string;
	completed_at: string | null;
}

export class TodoStore extends DurableObject<Env> implements TodoPort {
	private readonly sql: SqlStorage;

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
		this.sql = ctx.storage.sql;
		this.sql.exec(`
			CREATE TABLE IF NOT EXISTS todos (
				id TEXT PRIMARY KEY,
				title TEXT NOT NULL,
				done INTEGER NOT NULL DEFAULT 0,
				created_at TEXT NOT NULL,
				completed_at TEXT
			);
			CREATE INDEX IF NOT EXISTS todos_by_created ON todos (created_at);
			CREATE INDEX IF NOT EXISTS todos_by_done_created ON todos (done, created_at);
			CREATE TABLE IF NOT EXISTS applied (
				idempotency_key TEXT PRIMARY KEY,
				outcome TEXT NOT NULL
			);
		`);
	}

	async add(title: string, idempotencyKey: string): Promise<TodoOutcome<Todo>> {
		return this.once(idempotencyKey, () => {
			const todo: Todo = {
				id: crypto.randomUUID(),
				title,
				done: false,
				created_at: new Date().toISOString(),
				completed_at: null,
			};
			this.sql.exec(
				"INSERT INTO todos (id, title, done, created_at) VALUES (?, ?, 0, ?)",
				todo.id,
				todo.title,
				todo.created_at,
			);
			return { ok: true, value: todo };
		});
	}

	async list(status: TodoStatusFilter, limit: number): Promise<TodoOutcome<TodoList>> {
		const filter = status === "open" ? "WHERE done = 0" : status === "done" ? "WHERE done = 1" : "";
		const total = this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM todos ${filter}`).one().n;
		// The newest `limit`, so a todo just added is always in the list, then shown oldest first.
		const todos = this.select(filter, "DESC", limit).reverse();
		return { ok: true, value: { todos, total } };
	}

	async get(ref: TodoRef): Promise<TodoOutcome<Todo>> {
		return resolveTodo(this.select(""), ref);
	}

	async complete(ref: TodoRef, idempotencyKey: string): Promise<TodoOutcome<Todo>> {
		return this.once(idempotencyKey, () => {
			const found = resolveTodo(this.select(""), ref);
			if (!found.ok || found.value.done) return found;
			const completedAt = new Date().toISOString();
			this.sql.exec(
				"UPDATE todos SET done = 1, completed_at = ? WHERE id = ?",
				completedAt,
				found.value.id,
			);
			return { ok: true, value: { ...found.value, done: true, completed_at: completedAt } };
		});
	}

	async delete(ref: TodoRef, idempotencyKey: string): Promise<TodoOutcome<Todo>> {
		return this.once(idempotencyKey, () => {
			const found = resolveTodo(this.select(""), ref);
			if (found.ok) this.sql.exec("DELETE FROM todos WHERE id = ?", found.value.id);
			return found;
		});
	}

	async restore(todo: Todo, idempotencyKey: string): Promise<TodoOutcome<Todo>> {
		return this.once(idempotencyKey, () => {
			// INSERT OR IGNORE: restoring a todo that is already back changes nothing.
			this.sql.exec(
				"INSERT OR IGNORE INTO todos (id, title, done, created_at, completed_at) VALUES (?, ?, ?, ?, ?)",
				todo.id,
				todo.title,
				todo.done ? 1 : 0,
				todo.created_at,
				todo.completed_at,
			);
			return { ok: true, value: todo };
		});
	}

	/** Applies a mutation at most once per key. Failures are not recorded, so a retry can succeed. */
	private once<T>(key: string, mutate: () => TodoOutcome<T>): TodoOutcome<T> {
		return this.ctx.storage.transactionSync(() => {
			const previous = this.sql
				.exec<{ outcome: string }>("SELECT outcome FROM applied WHERE idempotency_key = ?", key)
				.toArray()[0];
			if (previous) return JSON.parse(previous.outcome) as TodoOutcome<T>;
			const outcome = mutate();
			if (outcome.ok) {
				this.sql.exec(
					"INSERT INTO applied (idempotency_key, outcome) VALUES (?, ?)",
					key,
					JSON.stringify(outcome),
				);
			}
			return outcome;
		});
	}

	private select(where: string, order: "ASC" | "DESC" = "ASC", limit = -1): Todo[] {
		return this.sql
			.exec<TodoRow>(
				`SELECT id, title, done, created_at, completed_at FROM todos ${where} ORDER BY created_at ${order}, rowid ${order} LIMIT ?`,
				limit,
			)
			.toArray()
			.map((row) => ({
				id: row.id,
				title: row.title,
				done: row.done === 1,
				created_at: row.created_at,
				completed_at: row.completed_at,
			}));
	}
}
