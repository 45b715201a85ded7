import { describe, expect, it } from "vitest";
import { AppError } from "../src/engine/errors";
import { validatePlan } from "../src/engine/plan/validate";
import { rulesPlanner } from "../src/engine/planner/rules";
import { cleanTitle, splitSegments } from "../src/engine/planner/rules/text";
import { toolRegistry } from "../src/engine/tools/registry";

const registry = toolRegistry({ includeDevTools: false });

async function steps(prompt: string) {
	const draft = await rulesPlanner.plan(prompt);
	return draft.steps.map(({ tool, input, depends_on }) => ({ tool, input, depends_on }));
}

describe("rules planner", () => {
	it.each([
		["15 plus 27", "15 + 27"],
		["multiply 6 by 7", "6 * 7"],
		["144 divided by 12", "144 / 12"],
		["subtract 9 from 20", "20 - 9"],
		["what's 2.5 * 4", "2.5 * 4"],
		["What is (3 + 4) * 2?", "(3 + 4) * 2"],
		["calculate 2+3", "2+3"],
		["compute 2 ^ 10", "2 ^ 10"],
		["add 5 and 6", "6 + 5"],
		["the sum of 2 and 3", "2 + 3"],
		["five times eight", "5 * 8"],
		["how much is 10 minus -4", "10 - (-4)"],
		["square 12", "12 ** 2"],
		["raise 2 to the power of 8", "2 ** 8"],
	])("reads arithmetic %j as %j", async (prompt, expression) => {
		expect(await steps(prompt)).toEqual([
			{ tool: "calculator", input: { expression }, depends_on: [] },
		]);
	});

	it.each([
		["add a todo to buy milk", "buy milk"],
		["Add a todo: Buy milk!", "Buy milk"],
		["remind me to call mom", "call mom"],
		["create a task: file taxes", "file taxes"],
		['add a new task called "water the plants".', "water the plants"],
		["please add a reminder to pay rent", "pay rent"],
		["add eggs to my list", "eggs"],
		["add a todo to buy milk and eggs", "buy milk and eggs"],
	])("reads %j as adding the todo %j", async (prompt, title) => {
		expect(await steps(prompt)).toEqual([{ tool: "todo.add", input: { title }, depends_on: [] }]);
	});

	it.each([
		["show me my todos", "all"],
		["show me all my tasks", "all"],
		["what's on my list?", "all"],
		["list my todos", "all"],
		["what are my open tasks", "open"],
		["show completed todos", "done"],
	])("reads %j as listing %s todos", async (prompt, status) => {
		expect(await steps(prompt)).toEqual([{ tool: "todo.list", input: { status }, depends_on: [] }]);
	});

	it.each([
		["mark buy milk as done", "todo.complete", "buy milk"],
		["mark the todo 'call mom' as completed", "todo.complete", "call mom"],
		["check off pay rent", "todo.complete", "pay rent"],
		["delete the todo buy milk", "todo.delete", "buy milk"],
		["remove pay rent from my list", "todo.delete", "pay rent"],
		["show the todo call mom", "todo.get", "call mom"],
	])("reads %j as %s of %j", async (prompt, tool, title) => {
		expect(await steps(prompt)).toEqual([{ tool, input: { title }, depends_on: [] }]);
	});

	it("chains todo steps in the order written and leaves calculations independent", async () => {
		expect(await steps("calculate 2+3, add a todo to bench and list my todos")).toEqual([
			{ tool: "calculator", input: { expression: "2+3" }, depends_on: [] },
			{ tool: "todo.add", input: { title: "bench" }, depends_on: [] },
			{ tool: "todo.list", input: { status: "all" }, depends_on: [2] },
		]);
	});

	it("splits on and, then, commas and sentences", async () => {
		const planned = await steps(
			"Add a todo to buy milk, then show me all my tasks. Also 2 plus 2 and then 3 times 3",
		);
		expect(planned.map((step) => step.tool)).toEqual([
			"todo.add",
			"todo.list",
			"calculator",
			"calculator",
		]);
		expect(planned.map((step) => step.depends_on)).toEqual([[], [1], [], []]);
	});

	it("turns 'the result' into a reference to the latest calculation", async () => {
		const draft = await rulesPlanner.plan("compute 2+2 then multiply the result by 10");
		expect(draft.steps[1]?.input).toEqual({
			expression: "previous * 10",
			variables: { previous: { $ref: "steps.1.output" } },
		});
		const validation = validatePlan(draft, registry);
		expect(validation.ok && validation.steps[1]?.depends_on).toEqual([1]);
	});

	it.each(["divide it by 2", "double that"])(
		"reads %j after a calculation as using its result",
		async (clause) => {
			const planned = await steps(`calculate 10 * 10, then ${clause}`);
			expect(planned[1]?.input).toMatchObject({
				variables: { previous: { $ref: "steps.1.output" } },
			});
		},
	);

	it("folds fullwidth digits and strips invisible characters", async () => {
		expect(await steps("calculate １２ + ３\u200B")).toEqual([
			{ tool: "calculator", input: { expression: "12 + 3" }, depends_on: [] },
		]);
		expect(await steps("add a todo to buy\u202E milk")).toEqual([
			{ tool: "todo.add", input: { title: "buy milk" }, depends_on: [] },
		]);
	});

	it.each([
		["write me a poem", "write me a poem"],
		["add a todo to buy milk, then summon a dragon", "summon a dragon"],
		["show my todos and summon a dragon", "summon a dragon"],
		["multiply the result by 10", "multiply the result by 10"],
		["calculate my taxes", "calculate my taxes"],
		["   ", ""],
	])("refuses %j, naming the clause it cannot read", async (prompt, clause) => {
		const error = await rulesPlanner.plan(prompt).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(AppError);
		expect(error).toMatchObject({ code: "unplannable_prompt", details: { clause } });
	});

	it("produces plans the validator accepts", async () => {
		for (const prompt of [
			"Add a todo to buy milk, then show me all my tasks",
			"compute 2+2 then multiply the result by 10",
			"calculate 2+3, add a todo to bench and list my todos",
			"mark buy milk as done and delete the todo call mom",
		]) {
			expect(validatePlan(await rulesPlanner.plan(prompt), registry).ok).toBe(true);
		}
	});
});

describe("prompt text helpers", () => {
	it("keeps separators so unmatched tails can be merged back", () => {
		expect(splitSegments("a, then b and c")).toEqual([
			{ text: "a", separator: "" },
			{ text: "b", separator: ", then " },
			{ text: "c", separator: " and " },
		]);
	});

	it.each([
		['"buy milk".', "buy milk"],
		["the todo buy milk please", "buy milk"],
		["task: call mom", "call mom"],
		["called 'pay rent'", "pay rent"],
		["eggs to my list", "eggs"],
	])("cleans the title %j to %j", (raw, title) => {
		expect(cleanTitle(raw)).toBe(title);
	});
});

describe("rules planner: waits", () => {
	it.each([
		["wait 5 seconds", 5_000],
		["pause for 2 minutes", 120_000],
		["sleep 100 ms", 100],
		["wait an hour", 3_600_000],
		["wait 1.5 s", 1_500],
	])("reads %j as a wait of %d ms", async (prompt, ms) => {
		expect(await steps(prompt)).toEqual([{ tool: "wait", input: { ms }, depends_on: [] }]);
	});

	it("makes a wait a barrier between what comes before and after it", async () => {
		expect(
			(await steps("calculate 1+1 and calculate 2+2, wait 5 seconds, then calculate 3+3")).map(
				(s) => s.depends_on,
			),
		).toEqual([[], [], [1, 2], [3]]);
	});

	it("refuses a wait over 24 hours at validation", async () => {
		const draft = await rulesPlanner.plan("wait 25 hours");
		expect(validatePlan(draft, registry)).toMatchObject({
			ok: false,
			issues: [{ code: "invalid_input" }],
		});
	});
});
