import { describe, expect, it } from "vitest";
import { AppError } from "../src/engine/errors";
import { finalisePlan } from "../src/engine/plan/finalise";
import type { PlanDraft, Step } from "../src/engine/plan/model";
import { validatePlan } from "../src/engine/plan/validate";
import { toolRegistry } from "../src/engine/tools/registry";

const registry = toolRegistry({ includeDevTools: false });

function step(step_number: number, overrides: Partial<Step> = {}): Step {
	return {
		step_number,
		tool: "calculator",
		input: { expression: "1 + 1" },
		reasoning: "",
		depends_on: [],
		requires_approval: false,
		...overrides,
	};
}

function issuesOf(steps: Step[]) {
	const result = validatePlan({ goal: "test", steps }, registry);
	return result.ok ? [] : result.issues;
}

describe("plan validation", () => {
	it("accepts a valid plan, sorting steps and adding references to depends_on", () => {
		const result = validatePlan(
			{
				goal: "g",
				steps: [
					step(2, {
						input: { expression: "x * 2", variables: { x: { $ref: "steps.1.output" } } },
					}),
					step(1),
				],
			},
			registry,
		);
		expect(result).toEqual({
			ok: true,
			steps: [
				step(1),
				step(2, {
					input: { expression: "x * 2", variables: { x: { $ref: "steps.1.output" } } },
					depends_on: [1],
				}),
			],
		});
	});

	it("rejects an empty plan", () => {
		expect(issuesOf([])).toEqual([{ code: "empty_plan", message: "The plan has no steps" }]);
	});

	it("rejects more than 50 steps", () => {
		const steps = Array.from({ length: 51 }, (_, index) => step(index + 1));
		expect(issuesOf(steps)).toEqual([
			{ code: "too_many_steps", message: "The plan has 51 steps; at most 50 are allowed" },
		]);
		expect(issuesOf(steps.slice(0, 50))).toEqual([]);
	});

	it("rejects an unknown tool, naming the ones that exist", () => {
		expect(issuesOf([step(1, { tool: "shell.exec", input: {} })])).toEqual([
			{
				code: "unknown_tool",
				step: 1,
				path: "steps[1].tool",
				message: expect.stringMatching(
					/^Unknown tool 'shell.exec'; available tools: calculator, todo.add/,
				),
			},
		]);
	});

	it("rejects input that fails the tool's schema, with the field's path", () => {
		expect(issuesOf([step(1, { input: { expression: 42 } })])).toEqual([
			expect.objectContaining({
				code: "invalid_input",
				step: 1,
				path: "steps[1].input.expression",
			}),
		]);
		expect(issuesOf([step(1, { tool: "todo.add", input: { title: "x", extra: 1 } })])).toEqual([
			expect.objectContaining({ code: "invalid_input", path: "steps[1].input" }),
		]);
		expect(issuesOf([step(1, { tool: "todo.complete", input: { id: "a", title: "b" } })])).toEqual([
			expect.objectContaining({
				code: "invalid_input",
				message: expect.stringContaining("exactly one of id or title"),
			}),
		]);
	});

	it("lets a reference stand in for a field until run time", () => {
		expect(
			issuesOf([
				step(1, { tool: "todo.add", input: { title: "x" } }),
				step(2, { tool: "todo.complete", input: { id: { $ref: "steps.1.output.id" } } }),
			]),
		).toEqual([]);
	});

	it("rejects a malformed reference", () => {
		expect(issuesOf([step(1, { input: { expression: { $ref: "step1" } } })])).toEqual([
			expect.objectContaining({ code: "invalid_ref", path: "steps[1].input.expression" }),
		]);
	});

	it("rejects a dependency on a missing step, from depends_on or a reference", () => {
		expect(issuesOf([step(1, { depends_on: [7] })])).toEqual([
			{
				code: "missing_dependency",
				step: 1,
				path: "steps[1].depends_on",
				message: "Step 1 depends on step 7, which is not in the plan",
			},
		]);
		expect(
			issuesOf([
				step(1, { input: { expression: "x", variables: { x: { $ref: "steps.3.output" } } } }),
			]),
		).toEqual([expect.objectContaining({ code: "missing_dependency", step: 1 })]);
	});

	it("rejects a step that depends on itself", () => {
		expect(issuesOf([step(1, { depends_on: [1] })])).toEqual([
			expect.objectContaining({ code: "self_dependency", message: "Step 1 depends on itself" }),
		]);
	});

	it("rejects duplicate step numbers", () => {
		expect(issuesOf([step(1), step(1)])).toEqual([
			expect.objectContaining({ code: "duplicate_step", step: 1 }),
		]);
	});

	it("rejects a cycle, naming its steps", () => {
		expect(
			issuesOf([
				step(1),
				step(2, { depends_on: [4] }),
				step(3, { depends_on: [2] }),
				step(4, { depends_on: [3] }),
			]),
		).toEqual([
			{ code: "cycle", path: "steps", message: "Steps 2, 3, 4 depend on each other in a cycle" },
		]);
	});

	it("reports every problem at once", () => {
		expect(
			issuesOf([step(1, { tool: "nope" }), step(2, { depends_on: [9] })]).map((i) => i.code),
		).toEqual(["unknown_tool", "missing_dependency"]);
	});

	it("reports a bad step input and a dependency cycle together", () => {
		expect(
			issuesOf([
				step(1, { input: { expression: 42 }, depends_on: [2] }),
				step(2, { depends_on: [1] }),
			]).map((issue) => issue.code),
		).toEqual(["invalid_input", "cycle"]);
	});

	it("reports a self-dependency once, not also as a cycle", () => {
		expect(issuesOf([step(1, { depends_on: [1] }), step(2)]).map((issue) => issue.code)).toEqual([
			"self_dependency",
		]);
	});

	it("finalises into an AppError with the chosen code and all issues", () => {
		const draft: PlanDraft = {
			goal: "g",
			steps: [step(1, { tool: "nope" }), step(2, { depends_on: [2] })],
		};
		const error = (() => {
			try {
				finalisePlan(draft, registry, {
					planId: "p",
					planner: "client",
					failureCode: "invalid_plan",
				});
			} catch (caught) {
				return caught;
			}
		})();
		expect(error).toBeInstanceOf(AppError);
		expect(error).toMatchObject({
			code: "invalid_plan",
			message: expect.stringMatching(/^Unknown tool 'nope'.*\(and 1 more\)$/),
			details: {
				issues: [
					expect.objectContaining({ code: "unknown_tool" }),
					expect.objectContaining({ code: "self_dependency" }),
				],
			},
		});
	});
});
