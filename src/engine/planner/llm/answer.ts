import { z } from "zod";
import { type Json, JsonSchema } from "../../json";
import type { PlanDraft } from "../../plan/model";
import { MAX_INPUT_JSON_CHARS, MAX_LLM_STEPS } from "./prompt";

export const MAX_ANSWER_CHARS = 256 * 1024;
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** A step as a model writes it; numbers go up to `maxNumber` (an agent's later rounds go higher). */
const modelStep = (maxNumber: number) =>
	z
		.object({
			step_number: z.number().int().min(1).max(maxNumber),
			tool: z.string().min(1).max(64),
			input_json: z.string().max(MAX_INPUT_JSON_CHARS).optional(),
			// JSON-mode models often write the input as an object; it is checked like input_json.
			input: JsonSchema.optional(),
			reasoning: z.string().max(2_000).default(""),
			depends_on: z.array(z.number().int().min(1).max(maxNumber)).max(maxNumber).default([]),
		})
		.strict();
const ModelStep = modelStep(MAX_LLM_STEPS);
const AgentStep = modelStep(1_000);

const AgentAnswer = z
	.object({
		done: z.boolean(),
		reason: z.string().max(2_000),
		steps: z.array(AgentStep).max(MAX_LLM_STEPS, `A round may add at most ${MAX_LLM_STEPS} steps`),
	})
	.strict();

export type ParsedAgentAnswer =
	| { ok: true; done: boolean; reason: string; steps: PlanDraft["steps"] }
	| { ok: false; problems: string[] };

/** Reads a planning round's answer of an agent run, as untrusted as a plan. */
export function parseAgentAnswer(content: string): ParsedAgentAnswer {
	if (content.length > MAX_ANSWER_CHARS) {
		return { ok: false, problems: [`The answer is over ${MAX_ANSWER_CHARS} characters`] };
	}
	const json = safeJson(stripFence(content));
	if (!json.ok) return { ok: false, problems: [json.problem] };
	const parsed = AgentAnswer.safeParse(json.value);
	if (!parsed.success) {
		return {
			ok: false,
			problems: parsed.error.issues.map(
				(issue) => `${issue.path.join(".") || "answer"}: ${issue.message}`,
			),
		};
	}
	const steps = draftSteps(parsed.data.steps);
	if (!steps.ok) return steps;
	return { ok: true, done: parsed.data.done, reason: parsed.data.reason, steps: steps.steps };
}

function draftSteps(
	modelSteps: z.infer<typeof AgentStep>[],
): { ok: true; steps: PlanDraft["steps"] } | { ok: false; problems: string[] } {
	const problems: string[] = [];
	const steps = modelSteps.map((step) => {
		const input = stepInput(step);
		if (!input.ok) problems.push(`steps[${step.step_number}]${input.problem}`);
		return {
			step_number: step.step_number,
			tool: step.tool,
			input: input.ok ? input.value : {},
			reasoning: step.reasoning,
			depends_on: step.depends_on,
			requires_approval: false,
		};
	});
	return problems.length > 0 ? { ok: false, problems } : { ok: true, steps };
}

const ModelPlan = z
	.object({
		goal: z.string().max(4_000),
		steps: z.array(ModelStep).max(MAX_LLM_STEPS, `A plan may have at most ${MAX_LLM_STEPS} steps`),
	})
	.strict();

export type ParsedAnswer = { ok: true; draft: PlanDraft } | { ok: false; problems: string[] };

/**
 * Reads a model's answer as untrusted data: bounded in size, JSON with no prototype-shaped keys,
 * the plan shape, at most 20 steps, each input an object of bounded size, given either as
 * `input_json` (a JSON-encoded string) or as an `input` object.
 */
export function parseModelAnswer(content: string): ParsedAnswer {
	if (content.length > MAX_ANSWER_CHARS) {
		return {
			ok: false,
			problems: [
				`The answer is ${content.length} characters; at most ${MAX_ANSWER_CHARS} are read`,
			],
		};
	}
	const json = safeJson(stripFence(content));
	if (!json.ok) return { ok: false, problems: [json.problem] };
	const parsed = ModelPlan.safeParse(json.value);
	if (!parsed.success) {
		return {
			ok: false,
			problems: parsed.error.issues.map(
				(issue) => `${issue.path.join(".") || "plan"}: ${issue.message}`,
			),
		};
	}
	const steps = draftSteps(parsed.data.steps);
	return steps.ok ? { ok: true, draft: { goal: parsed.data.goal, steps: steps.steps } } : steps;
}

type StepInput = { ok: true; value: Record<string, Json> } | { ok: false; problem: string };

/**
 * A step's input from whichever shape the model used. An `input` object was parsed with the
 * whole answer, so it has already passed the prototype-key check; its size is capped as if it
 * had been sent encoded.
 */
function stepInput(step: z.infer<typeof AgentStep>): StepInput {
	if (step.input_json !== undefined && step.input !== undefined) {
		return { ok: false, problem: ": give input_json or input, not both" };
	}
	if (step.input_json !== undefined) {
		const decoded = safeJson(step.input_json);
		if (!decoded.ok) return { ok: false, problem: `.input_json: ${decoded.problem}` };
		return isObject(decoded.value)
			? { ok: true, value: decoded.value }
			: { ok: false, problem: ".input_json: must encode an object" };
	}
	if (step.input === undefined) {
		return { ok: false, problem: ": input_json (or an input object) is required" };
	}
	if (!isObject(step.input)) return { ok: false, problem: ".input: must be an object" };
	const size = JSON.stringify(step.input).length;
	if (size > MAX_INPUT_JSON_CHARS) {
		const problem = `.input: at most ${MAX_INPUT_JSON_CHARS} characters when encoded, not ${size}`;
		return { ok: false, problem };
	}
	return { ok: true, value: step.input };
}

function isObject(value: Json): value is Record<string, Json> {
	return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Some servers wrap JSON in a Markdown fence even in JSON mode. */
function stripFence(content: string): string {
	const fenced = /^\s*```(?:json)?\s*([\s\S]*?)\s*```\s*$/.exec(content);
	return fenced?.[1] ?? content;
}

function safeJson(text: string): { ok: true; value: Json } | { ok: false; problem: string } {
	let forbidden: string | undefined;
	try {
		const value = JSON.parse(text, (key, item: Json) => {
			if (FORBIDDEN_KEYS.has(key)) forbidden = key;
			return item;
		}) as Json;
		if (forbidden) return { ok: false, problem: `The key "${forbidden}" is not allowed` };
		return { ok: true, value };
	} catch {
		return { ok: false, problem: "The answer is not valid JSON" };
	}
}
