import { z } from "zod";
import type { Json } from "../../json";
import type { PlanDraft } from "../../plan/model";
import { MAX_INPUT_JSON_CHARS, MAX_LLM_STEPS } from "./prompt";

export const MAX_ANSWER_CHARS = 256 * 1024;
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

const ModelStep = z
	.object({
		step_number: z.number().int().min(1).max(MAX_LLM_STEPS),
		tool: z.string().min(1).max(64),
		input_json: z.string().max(MAX_INPUT_JSON_CHARS),
		reasoning: z.string().max(2_000).default(""),
		depends_on: z.array(z.number().int().min(1).max(MAX_LLM_STEPS)).max(MAX_LLM_STEPS).default([]),
	})
	.strict();

const ModelPlan = z
	.object({
		goal: z.string().max(4_000),
		steps: z.array(ModelStep).max(MAX_LLM_STEPS, `A plan may have at most ${MAX_LLM_STEPS} steps`),
	})
	.strict();

export type ParsedAnswer = { ok: true; draft: PlanDraft } | { ok: false; problems: string[] };

/**
 * Reads a model's answer as untrusted data: bounded in size, JSON with no prototype-shaped keys,
 * the plan shape, at most 20 steps, each input an object of bounded size.
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
	const problems: string[] = [];
	const steps = parsed.data.steps.map((step) => {
		const input = safeJson(step.input_json);
		const isObject =
			input.ok &&
			input.value !== null &&
			typeof input.value === "object" &&
			!Array.isArray(input.value);
		if (!isObject) {
			problems.push(
				`steps[${step.step_number}].input_json: ${input.ok ? "must encode an object" : input.problem}`,
			);
		}
		return {
			step_number: step.step_number,
			tool: step.tool,
			input: (isObject ? input.value : {}) as Record<string, Json>,
			reasoning: step.reasoning,
			depends_on: step.depends_on,
			requires_approval: false,
		};
	});
	return problems.length > 0
		? { ok: false, problems }
		: { ok: true, draft: { goal: parsed.data.goal, steps } };
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
