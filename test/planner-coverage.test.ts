import { describe, expect, it } from "vitest";
import { AppError } from "../src/engine/errors";
import { validatePlan } from "../src/engine/plan/validate";
import { rulesPlanner } from "../src/engine/planner/rules";
import { evaluate } from "../src/engine/tools/calculator";
import { toolRegistry } from "../src/engine/tools/registry";
import { postJson, settle } from "./fixtures/runs";

const registry = toolRegistry({ includeDevTools: false });

async function steps(prompt: string) {
	const draft = await rulesPlanner.plan(prompt);
	expect(validatePlan(draft, registry).ok).toBe(true);
	return draft.steps.map(({ tool, input, depends_on }) => ({ tool, input, depends_on }));
}

async function refusal(prompt: string): Promise<unknown> {
	return rulesPlanner.plan(prompt).then(
		() => undefined,
		(caught: unknown) => caught,
	);
}

async function runResult(prompt: string) {
	const res = await postJson("/runs", { prompt });
	expect(res.status).toBe(201);
	return (await settle(((await res.json()) as { run_id: string }).run_id)).result;
}

describe("rules planner: bulk changes", () => {
	it.each([
		["delete all completed todos", "delete all completed todos"],
		["remove every task", "remove every task"],
		["delete everything", "delete everything"],
		["delete my todos", "delete my todos"],
		["get rid of the done ones", "get rid of the done ones"],
		["remove the completed ones from my list", "remove the completed ones from my list"],
		["complete all my todos", "complete all my todos"],
		["finish each task", "finish each task"],
		["mark all as done", "mark all as done"],
		["mark everything done", "mark everything done"],
		["check off all of them", "check off all of them"],
		["everything is done", "everything is done"],
		["clear my todo list", "clear my todo list"],
		["show my todos, then delete the done ones", "delete the done ones"],
	])("refuses the bulk change %j, naming %j and saying why", async (prompt, clause) => {
		const error = await refusal(prompt);
		expect(error).toBeInstanceOf(AppError);
		expect(error).toMatchObject({
			code: "unplannable_prompt",
			message: expect.stringContaining(`"${clause}"`),
			details: { clause, reason: "bulk_change" },
		});
		const { message } = error as AppError;
		expect(message).toMatch(/bulk changes are not planned by the rules planner/i);
		expect(message).toMatch(/list .* first/i);
		expect(message).toMatch(/LLM planner/);
	});

	it("answers a bulk delete over HTTP with 422 and no plan", async () => {
		const res = await postJson("/runs", { prompt: "delete all completed todos" });
		expect(res.status).toBe(422);
		expect(await res.json()).toMatchObject({
			error: { code: "unplannable_prompt", details: { reason: "bulk_change" } },
		});
	});

	it("keeps quantifiers in the titles it adds, and in a named todo", async () => {
		expect(await steps("add a todo to call everyone")).toEqual([
			{ tool: "todo.add", input: { title: "call everyone" }, depends_on: [] },
		]);
		expect(await steps("delete the todo call everyone")).toEqual([
			{ tool: "todo.delete", input: { title: "call everyone" }, depends_on: [] },
		]);
		expect(await steps("mark email all clients as done")).toEqual([
			{ tool: "todo.complete", input: { title: "email all clients" }, depends_on: [] },
		]);
	});
});

describe("rules planner: arithmetic coverage", () => {
	it.each([
		["what is 15% of 80", 12],
		["what is 15 percent of 80", 12],
		["2 to the power of 10 minus 24", 1000],
		["12 times 7 plus 3", 87],
		["3 plus 12 times 7", 87],
		["100 minus 10 divided by 2", 95],
		["the square root of 144", 12],
		["what's the square root of 144 plus 1", 13],
		["calculate sqrt(144) + max(1, 2)", 14],
	])("reads %j as one calculation worth %d", async (prompt, expected) => {
		const planned = await steps(prompt);
		expect(planned).toEqual([
			{ tool: "calculator", input: { expression: expect.any(String) }, depends_on: [] },
		]);
		const expression = planned[0]?.input.expression;
		expect(typeof expression === "string" && evaluate(expression)).toBe(expected);
	});

	it("reads the square root of an earlier result", async () => {
		const draft = await rulesPlanner.plan("calculate 12 * 12, then the square root of the result");
		expect(draft.steps[1]?.input).toEqual({
			expression: "sqrt(previous)",
			variables: { previous: { $ref: "steps.1.output" } },
		});
	});
});

describe("rules planner: todo coverage", () => {
	it.each([
		["how many todos do I have", "all"],
		["how many open tasks are left?", "open"],
		["count my completed todos", "done"],
	])("reads %j as counting %s todos", async (prompt, status) => {
		expect(await steps(prompt)).toEqual([
			{ tool: "todo.list", input: { status, limit: 1 }, depends_on: [] },
			{
				tool: "calculator",
				input: { expression: "count", variables: { count: { $ref: "steps.1.output.total" } } },
				depends_on: [1],
			},
		]);
	});

	it("answers 'how many todos do I have' with a number", async () => {
		const before = await runResult("how many todos do I have");
		expect(typeof before).toBe("number");
		await runResult("add a todo to be counted");
		expect(await runResult("how many todos do I have")).toBe(Number(before) + 1);
	});

	it.each([
		["add eggs, bread and butter to my shopping list", ["eggs", "bread", "butter"]],
		["put milk, tea, and jam on the grocery list", ["milk", "tea", "jam"]],
		["add apples, pears to my list", ["apples", "pears"]],
		["add mac and cheese to my shopping list", ["mac and cheese"]],
	])("reads %j as adding %j", async (prompt, titles) => {
		const planned = await steps(prompt);
		expect(planned.map((step) => step.tool)).toEqual(titles.map(() => "todo.add"));
		expect(planned.map((step) => step.input.title)).toEqual(titles);
		expect(planned.map((step) => step.depends_on)).toEqual(
			titles.map((_, index) => (index === 0 ? [] : [index])),
		);
	});

	it("reads 'and another to' as a second todo", async () => {
		expect(await steps("add a task to water the plants and another to feed the cat")).toEqual([
			{ tool: "todo.add", input: { title: "water the plants" }, depends_on: [] },
			{ tool: "todo.add", input: { title: "feed the cat" }, depends_on: [1] },
		]);
	});

	it("refuses 'another to' with nothing added before it", async () => {
		expect(await refusal("another to feed the cat")).toMatchObject({
			code: "unplannable_prompt",
			details: { clause: "another to feed the cat" },
		});
	});
});

describe("rules planner: the clause a refusal names", () => {
	it.each([
		[
			"calculate 2+3, then send eggs, bread and butter to grandma",
			"send eggs, bread and butter to grandma",
		],
		["show my todos and book a table for two, at eight", "book a table for two, at eight"],
		["book a table for two, at eight, then show my todos", "book a table for two, at eight"],
	])("names the whole unread part of %j", async (prompt, clause) => {
		const error = await refusal(prompt);
		expect(error).toMatchObject({
			code: "unplannable_prompt",
			message: `No rule understands "${clause}". Rephrase it, or configure an LLM planner.`,
			details: { clause },
		});
	});
});
