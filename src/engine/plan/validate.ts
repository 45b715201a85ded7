import type { ToolRegistry } from "../tools/registry";
import { MAX_PLAN_STEPS, type PlanDraft, type Step } from "./model";
import { findRefs } from "./refs";

export type PlanIssueCode =
	| "empty_plan"
	| "too_many_steps"
	| "duplicate_step"
	| "unknown_tool"
	| "invalid_input"
	| "invalid_ref"
	| "missing_dependency"
	| "self_dependency"
	| "cycle";

export interface PlanIssue {
	code: PlanIssueCode;
	message: string;
	step?: number;
	path?: string;
}

export type PlanValidation = { ok: true; steps: Step[] } | { ok: false; issues: PlanIssue[] };

/**
 * Checks a proposed plan against the registry and returns it normalised (sorted steps, each
 * reference added to `depends_on`), or every problem found, each naming its step and path.
 */
export function validatePlan(draft: PlanDraft, registry: ToolRegistry): PlanValidation {
	if (draft.steps.length === 0) {
		return { ok: false, issues: [{ code: "empty_plan", message: "The plan has no steps" }] };
	}
	if (draft.steps.length > MAX_PLAN_STEPS) {
		const message = `The plan has ${draft.steps.length} steps; at most ${MAX_PLAN_STEPS} are allowed`;
		return { ok: false, issues: [{ code: "too_many_steps", message }] };
	}
	const issues: PlanIssue[] = [];
	const numbers = new Set<number>();
	for (const step of draft.steps) {
		if (numbers.has(step.step_number)) {
			issues.push({
				code: "duplicate_step",
				step: step.step_number,
				message: `Step number ${step.step_number} is used more than once`,
			});
		}
		numbers.add(step.step_number);
	}
	const steps = draft.steps
		.map((step) => normaliseStep(step, numbers, registry, issues))
		.sort((a, b) => a.step_number - b.step_number);
	// Cycles are looked for even when other issues were found, so one answer lists every problem.
	issues.push(...findCycles(steps));
	return issues.length === 0 ? { ok: true, steps } : { ok: false, issues };
}

function normaliseStep(
	step: Step,
	numbers: ReadonlySet<number>,
	registry: ToolRegistry,
	issues: PlanIssue[],
): Step {
	const at = (path: string) => `steps[${step.step_number}].${path}`;
	const dependsOn = new Set(step.depends_on);
	const refs = findRefs(step.input);
	for (const ref of refs) {
		const path = at(["input", ...ref.at].join("."));
		if (Number.isNaN(ref.step)) {
			issues.push({
				code: "invalid_ref",
				step: step.step_number,
				path,
				message: `A reference must look like "steps.<n>.output" or "steps.<n>.output.<field>"`,
			});
		} else {
			dependsOn.add(ref.step);
		}
	}
	for (const dependency of dependsOn) {
		if (dependency === step.step_number) {
			issues.push({
				code: "self_dependency",
				step: step.step_number,
				path: at("depends_on"),
				message: `Step ${step.step_number} depends on itself`,
			});
		} else if (!numbers.has(dependency)) {
			issues.push({
				code: "missing_dependency",
				step: step.step_number,
				path: at("depends_on"),
				message: `Step ${step.step_number} depends on step ${dependency}, which is not in the plan`,
			});
		}
	}
	const tool = registry.get(step.tool);
	if (!tool) {
		issues.push({
			code: "unknown_tool",
			step: step.step_number,
			path: at("tool"),
			message: `Unknown tool '${step.tool}'; available tools: ${registry.names().join(", ")}`,
		});
	} else {
		const parsed = tool.input.safeParse(step.input);
		if (!parsed.success) {
			// A reference stands in for a value only known at run time, so its slot is checked then.
			const refPaths = refs.map((ref) => ref.at.join("."));
			for (const issue of parsed.error.issues) {
				const issuePath = issue.path.map(String).join(".");
				const coveredByRef = refPaths.some(
					(refPath) => issuePath === refPath || issuePath.startsWith(`${refPath}.`),
				);
				if (coveredByRef) continue;
				issues.push({
					code: "invalid_input",
					step: step.step_number,
					path: at(["input", ...issue.path.map(String)].join(".")),
					message: `Input for '${step.tool}' is invalid: ${issue.message}`,
				});
			}
		}
	}
	return { ...step, depends_on: [...dependsOn].sort((a, b) => a - b) };
}

/**
 * Kahn's algorithm; whatever cannot be ordered sits on a cycle or behind one. A self-dependency
 * is left out, being reported already; a missing step counts as met, being reported already too.
 */
function findCycles(steps: readonly Step[]): PlanIssue[] {
	const remaining = new Map(
		steps.map((step) => [
			step.step_number,
			new Set(step.depends_on.filter((dependency) => dependency !== step.step_number)),
		]),
	);
	let progressed = true;
	while (progressed) {
		progressed = false;
		for (const [number, dependencies] of remaining) {
			if ([...dependencies].every((dependency) => !remaining.has(dependency))) {
				remaining.delete(number);
				progressed = true;
			}
		}
	}
	if (remaining.size === 0) return [];
	const members = [...remaining.keys()].sort((a, b) => a - b);
	return [
		{
			code: "cycle",
			message: `Steps ${members.join(", ")} depend on each other in a cycle`,
			path: "steps",
		},
	];
}
