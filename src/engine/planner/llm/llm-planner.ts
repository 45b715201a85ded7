import OpenAI from "openai";
import type {
	ChatCompletionCreateParamsNonStreaming,
	ChatCompletionMessageParam,
} from "openai/resources/chat/completions";
import type { PlanDraft } from "../../plan/model";
import type { LlmFailureReason, TokenUsage } from "../../plan/provenance";
import { validatePlan } from "../../plan/validate";
import type { ToolRegistry } from "../../tools/registry";
import { parseModelAnswer } from "./answer";
import { planJsonSchema, repairMessage, systemPrompt, userMessage } from "./prompt";

export interface LlmSettings {
	client: OpenAI;
	model: string;
	timeoutMs: number;
	/** Identifies the endpoint, for remembering which answer format it supports. */
	endpoint: string;
	/** Extra headers of every call: the planning span's `traceparent`. */
	headers?: Record<string, string>;
}

/** Outages trip the breaker; bad answers do not. */
export const OUTAGE_REASONS: ReadonlySet<LlmFailureReason> = new Set([
	"timeout",
	"rate_limited",
	"server_error",
	"unreachable",
]);

export type LlmPlanResult =
	| { ok: true; draft: PlanDraft; latency_ms: number; usage: TokenUsage; repairs: number }
	| {
			ok: false;
			reason: LlmFailureReason;
			message: string;
			latency_ms: number;
			usage: TokenUsage;
			repairs: number;
	  };

type AnswerFormat = "json_schema" | "json_object" | "tool_call";
const FORMATS: readonly AnswerFormat[] = ["json_schema", "json_object", "tool_call"];
/** What each endpoint accepted last, so a server without structured output costs one probe. */
const formatByEndpoint = new Map<string, AnswerFormat>();

/**
 * Plans with an OpenAI-compatible model. Its answer is parsed as untrusted data and checked by the
 * same validator as every plan; a rejected plan gets one repair round with the specific problems.
 */
export async function planWithLlm(
	prompt: string,
	registry: ToolRegistry,
	settings: LlmSettings,
	now: () => number = Date.now,
): Promise<LlmPlanResult> {
	const started = now();
	const usage: TokenUsage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
	const messages: ChatCompletionMessageParam[] = [
		{ role: "system", content: systemPrompt(registry.describe()) },
		{ role: "user", content: userMessage(prompt) },
	];
	let problems: string[] = [];
	for (let round = 0; round < 2; round += 1) {
		let content: string;
		try {
			content = await complete(messages, planAnswer(registry), settings, usage);
		} catch (error) {
			const { reason, message } = classify(error);
			return { ok: false, reason, message, latency_ms: now() - started, usage, repairs: round };
		}
		const answer = parseModelAnswer(content);
		if (answer.ok) {
			const validation = validatePlan(answer.draft, registry);
			if (validation.ok)
				return {
					ok: true,
					draft: answer.draft,
					latency_ms: now() - started,
					usage,
					repairs: round,
				};
			problems = validation.issues.map((issue) => issue.message);
		} else {
			problems = answer.problems;
		}
		messages.push(
			{ role: "assistant", content: content.slice(0, 4_000) },
			{ role: "user", content: repairMessage(problems) },
		);
	}
	const message = `The model's plan was rejected twice: ${problems.slice(0, 3).join("; ")}`;
	return {
		ok: false,
		reason: "invalid_answer",
		message,
		latency_ms: now() - started,
		usage,
		repairs: 1,
	};
}

/** The JSON answer a completion must give: its schema, and names for the formats that need one. */
export interface AnswerSpec {
	name: string;
	description: string;
	schema: Record<string, unknown>;
	/** Strict structured output needs every key required and no extras; a tenant's schema may not. */
	strict: boolean;
}

const planAnswer = (registry: ToolRegistry): AnswerSpec => ({
	name: "submit_plan",
	description: "Submit the plan",
	schema: planJsonSchema(registry.names()),
	strict: true,
});

/** One completion in the best format the endpoint supports, falling back on a format refusal. */
export async function complete(
	messages: ChatCompletionMessageParam[],
	answer: AnswerSpec,
	settings: LlmSettings,
	usage: TokenUsage,
): Promise<string> {
	const known = formatByEndpoint.get(settings.endpoint);
	const formats = known ? FORMATS.slice(FORMATS.indexOf(known)) : FORMATS;
	let lastError: unknown;
	for (const format of formats) {
		try {
			const completion = await settings.client.chat.completions.create(
				request(format, messages, answer, settings.model),
				{
					timeout: settings.timeoutMs,
					maxRetries: 0,
					...(settings.headers ? { headers: settings.headers } : {}),
				},
			);
			formatByEndpoint.set(settings.endpoint, format);
			usage.prompt_tokens += completion.usage?.prompt_tokens ?? 0;
			usage.completion_tokens += completion.usage?.completion_tokens ?? 0;
			usage.total_tokens += completion.usage?.total_tokens ?? 0;
			const message = completion.choices[0]?.message;
			const toolCall = message?.tool_calls?.[0];
			if (format === "tool_call" && toolCall?.type === "function")
				return toolCall.function.arguments;
			return message?.content ?? "";
		} catch (error) {
			if (!refusesFormat(error)) throw error;
			lastError = error;
		}
	}
	throw lastError;
}

function request(
	format: AnswerFormat,
	messages: ChatCompletionMessageParam[],
	answer: AnswerSpec,
	model: string,
): ChatCompletionCreateParamsNonStreaming {
	const { schema } = answer;
	const base = { model, messages, temperature: 0 };
	switch (format) {
		case "json_schema":
			return {
				...base,
				response_format: {
					type: "json_schema",
					json_schema: { name: answer.name, strict: answer.strict, schema },
				},
			};
		case "json_object":
			return { ...base, response_format: { type: "json_object" } };
		case "tool_call":
			return {
				...base,
				tools: [
					{
						type: "function",
						function: { name: answer.name, description: answer.description, parameters: schema },
					},
				],
				tool_choice: { type: "function", function: { name: answer.name } },
			};
	}
}

function refusesFormat(error: unknown): boolean {
	return (
		(error instanceof OpenAI.BadRequestError || error instanceof OpenAI.UnprocessableEntityError) &&
		/response_format|json_schema|json_object|structured|tool/i.test(error.message)
	);
}

export function classify(error: unknown): { reason: LlmFailureReason; message: string } {
	if (error instanceof OpenAI.APIConnectionTimeoutError)
		return { reason: "timeout", message: "The model did not answer in time" };
	if (error instanceof OpenAI.RateLimitError)
		return { reason: "rate_limited", message: "The model endpoint answered 429" };
	if (error instanceof OpenAI.InternalServerError) {
		return { reason: "server_error", message: `The model endpoint answered ${error.status}` };
	}
	if (error instanceof OpenAI.APIConnectionError)
		return { reason: "unreachable", message: "The model endpoint is unreachable" };
	if (error instanceof OpenAI.APIError)
		return { reason: "api_error", message: `The model endpoint answered ${error.status}` };
	return { reason: "api_error", message: "The model call failed" };
}
