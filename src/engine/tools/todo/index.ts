import { z } from "zod";
import type { Json } from "../../json";
import { defineTool, fail, succeed, type Tool, type ToolResult } from "../types";
import type { TodoOutcome, TodoRef } from "./port";

export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1_000;

const Title = z.string().trim().min(1).max(200).describe("The todo's title");
// One object with two optional keys rather than a union, so a `$ref` in either key is checked
// by path like any other field.
const TodoRefInput = z
	.object({
		id: z.string().min(1).max(64).optional().describe("The todo's id"),
		title: Title.optional(),
	})
	.strict()
	.refine((ref) => (ref.id === undefined) !== (ref.title === undefined), {
		message: "Give exactly one of id or title",
	})
	.transform(
		(ref): TodoRef => (ref.id !== undefined ? { id: ref.id } : { title: ref.title ?? "" }),
	);

function fromOutcome<T extends Json>(outcome: TodoOutcome<T>): ToolResult {
	return outcome.ok ? succeed(outcome.value) : fail(outcome.code, outcome.message);
}

/** The todo a step returned, for compensations; a malformed output cannot be undone. */
const TodoOutput = z.object({
	id: z.string(),
	title: z.string(),
	done: z.boolean(),
	created_at: z.string(),
	completed_at: z.string().nullable(),
});

function recordedTodo(output: Json) {
	const parsed = TodoOutput.safeParse(output);
	return parsed.success ? parsed.data : undefined;
}

function describeRef(ref: TodoRef): string {
	return "id" in ref ? `with id '${ref.id}'` : `titled '${ref.title}'`;
}

const add = defineTool({
	name: "todo.add",
	description: "Adds a todo for the tenant and returns it.",
	input: z.object({ title: Title }).strict(),
	mutates: true,
	preview: ({ title }) => `Add the todo '${title}'`,
	async execute({ title }, ctx) {
		return fromOutcome(await ctx.services.todos.add(title, ctx.idempotencyKey));
	},
	async compensate(_input, output, ctx) {
		const todo = recordedTodo(output);
		if (!todo) return fail("invalid_output", "The step's output names no todo to remove");
		const outcome = await ctx.services.todos.delete({ id: todo.id }, `${ctx.idempotencyKey}:undo`);
		// Already gone is as good as undone.
		return outcome.ok || outcome.code === "todo_not_found"
			? succeed({ removed: todo.id })
			: fromOutcome(outcome);
	},
});

const list = defineTool({
	name: "todo.list",
	description:
		"Lists the tenant's most recent todos (all, open or done), oldest first, with the total count.",
	input: z
		.object({
			status: z.enum(["all", "open", "done"]).default("all"),
			limit: z.number().int().min(1).max(MAX_LIST_LIMIT).default(DEFAULT_LIST_LIMIT),
		})
		.strict(),
	mutates: false,
	async execute({ status, limit }, ctx) {
		const outcome = await ctx.services.todos.list(status, limit);
		return outcome.ok ? succeed(outcome.value) : fromOutcome(outcome);
	},
});

const get = defineTool({
	name: "todo.get",
	description: "Returns one todo, named by id or by title.",
	input: TodoRefInput,
	mutates: false,
	async execute(ref, ctx) {
		return fromOutcome(await ctx.services.todos.get(ref));
	},
});

const complete = defineTool({
	name: "todo.complete",
	description: "Marks one todo, named by id or by title, as done.",
	input: TodoRefInput,
	mutates: true,
	preview: (ref) => `Mark as done the todo ${describeRef(ref)}`,
	async execute(ref, ctx) {
		return fromOutcome(await ctx.services.todos.complete(ref, ctx.idempotencyKey));
	},
});

const remove = defineTool({
	name: "todo.delete",
	description: "Deletes one todo, named by id or by title, and returns what was deleted.",
	input: TodoRefInput,
	mutates: true,
	requiresApproval: true,
	preview: (ref) => `Delete the todo ${describeRef(ref)}, after a person approves`,
	async execute(ref, ctx) {
		return fromOutcome(await ctx.services.todos.delete(ref, ctx.idempotencyKey));
	},
	async compensate(_input, output, ctx) {
		const todo = recordedTodo(output);
		if (!todo) return fail("invalid_output", "The step's output names no todo to restore");
		return fromOutcome(await ctx.services.todos.restore(todo, `${ctx.idempotencyKey}:undo`));
	},
});

export const todoTools: readonly Tool[] = [add, list, get, complete, remove];
