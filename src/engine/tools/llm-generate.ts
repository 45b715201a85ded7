import { z } from "zod";
import { type Json, JsonSchema } from "../json";
import type { TokenUsage } from "../plan/provenance";
import { err } from "../result";
import { checkSchema, schemaProblems } from "./tenant/json-schema";
import { defineTool, fail, succeed } from "./types";

export const LLM_GENERATE = "llm.generate";

/** What the model port answers for one llm.generate attempt. */
export type LlmAnswer =
	| {
			ok: true;
			content: string;
			usage: TokenUsage;
			cost_usd: number;
			model: string;
			latency_ms: number;
	  }
	| {
			ok: false;
			code: string;
			message: string;
			retryable: boolean;
			/** Tokens a failed call still used, priced. */
			spend?: { usage: TokenUsage | null; cost_usd: number };
	  };

export interface LlmPort {
	generate(
		request: { instructions: string; input?: Json; output_schema?: Record<string, unknown> },
		signal: AbortSignal,
	): Promise<LlmAnswer>;
}

/**
 * A step that asks the configured model: `instructions`, with earlier outputs as `input` (by
 * reference), fenced as data. With `output_schema` the answer must be JSON valid against it; an
 * invalid answer is retried once, then fails the step. The output records tokens, cost and
 * latency, which count against the run's budget.
 */
export const llmGenerateTool = defineTool({
	name: LLM_GENERATE,
	description:
		"Asks the language model to do something with data: summarise, pick, extract, classify. Put earlier outputs in input by reference. With output_schema (a JSON Schema) the answer is JSON of that shape, in output.value; otherwise output.value is text.",
	input: z
		.object({
			instructions: z.string().trim().min(1).max(8_000),
			input: JsonSchema.optional(),
			output_schema: z
				.record(z.string(), z.json())
				.superRefine((schema, ctx) => {
					const checked = checkSchema(schema);
					if (!checked.ok) ctx.addIssue({ code: "custom", message: checked.error.join("; ") });
				})
				.optional(),
		})
		.strict(),
	mutates: false,
	// One retry for an answer off its schema; an outage waits out the LLM breaker like planning.
	retry: { max_attempts: 2, base_delay_ms: 0, max_delay_ms: 0 },
	async execute({ instructions, input, output_schema }, ctx) {
		const port = ctx.services.llm;
		if (!port) return fail("llm_not_configured", "No model is configured: set OPENAI_BASE_URL");
		const answer = await port.generate(
			{
				instructions,
				...(input === undefined ? {} : { input }),
				...(output_schema ? { output_schema } : {}),
			},
			ctx.signal,
		);
		if (!answer.ok) {
			const failure = { code: answer.code, message: answer.message, retryable: answer.retryable };
			return err(answer.spend ? { ...failure, spend: answer.spend } : failure);
		}
		const charged = { usage: answer.usage, cost_usd: answer.cost_usd };
		const invalid = (message: string) =>
			err({ code: "llm_output_invalid", message, retryable: true, spend: charged });
		const spend = {
			usage: answer.usage as unknown as Json,
			cost_usd: answer.cost_usd,
			model: answer.model,
			latency_ms: answer.latency_ms,
		};
		if (!output_schema) return succeed({ value: answer.content, ...spend });
		let value: Json;
		try {
			value = JSON.parse(answer.content) as Json;
		} catch {
			return invalid("The model's answer is not JSON");
		}
		const problems = schemaProblems(output_schema as never, value);
		if (problems.length) return invalid(`The model's answer fails output_schema: ${problems[0]}`);
		return succeed({ value, ...spend });
	},
});
