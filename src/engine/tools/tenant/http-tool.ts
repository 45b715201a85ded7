import type { Json } from "../../json";
import { checkUrl, readCapped, withTrace } from "../http-request";
import { fail, succeed, type Tool, type ToolContext, type ToolResult } from "../types";
import type { HttpToolDefinition } from "./definition";
import { type JsonSchema, schemaProblems } from "./json-schema";
import { SIGNATURE_HEADER, signatureHeader } from "./signature";
import { tenantToolBase } from "./tool-base";

/** The most of a tool's answer that is read: more fails the step (`tool_output_too_large`). */
export const MAX_TOOL_OUTPUT_BYTES = 256 * 1024;
const MAX_REMOTE_MESSAGE = 500;

/**
 * A tenant's HTTP tool as a Tool: its input checked against its JSON Schema; each call a signed
 * POST of `{ input, run_id, step, attempt }` with the step's Idempotency-Key, through the same
 * network guard as http.request (allowlist, private addresses only if listed, no redirects).
 */
export function httpTool(definition: HttpToolDefinition): Tool {
	const { name, url, output_schema: outputSchema } = definition;
	return {
		...tenantToolBase(definition, url),
		preview: () => `POST ${url}`,
		async execute(input, ctx) {
			const answer = await call(definition, url, { input: input as Json, ...callFields(ctx) }, ctx);
			if (!answer.ok) return answer;
			const problems = outputSchema ? schemaProblems(outputSchema as JsonSchema, answer.value) : [];
			if (problems.length) {
				return fail(
					"tool_output_invalid",
					`${name} answered off its output_schema: ${problems[0]}`,
				);
			}
			return answer;
		},
		...(definition.compensate
			? {
					compensate: (input: unknown, output: Json, ctx: ToolContext) =>
						call(
							definition,
							definition.compensate?.url ?? url,
							{ input: input as Json, output, ...callFields(ctx) },
							ctx,
						),
				}
			: {}),
	};
}

const callFields = (ctx: ToolContext) => ({
	run_id: ctx.runId,
	step: ctx.stepNumber,
	attempt: ctx.attempt,
});

async function call(
	definition: HttpToolDefinition,
	url: string,
	payload: Record<string, Json>,
	ctx: ToolContext,
): Promise<ToolResult> {
	const target = new URL(url);
	const refusal = checkUrl(target, ctx.services.http.allowlist);
	if (refusal) return fail("host_not_allowed", refusal);
	const secret = await ctx.services.tenantTools?.secret(definition.name, definition.tool_id);
	if (!secret) return fail("tool_not_found", `${definition.name} has been deleted`);
	const body = JSON.stringify(payload);
	const headers = new Headers({
		"Content-Type": "application/json",
		"Idempotency-Key": ctx.idempotencyKey,
		[SIGNATURE_HEADER]: await signatureHeader(secret, body, Date.now()),
	});
	let response: Response;
	try {
		response = await fetch(target, {
			method: "POST",
			headers: withTrace(headers, ctx.trace),
			body,
			redirect: "manual",
			signal: ctx.signal,
		});
	} catch (error) {
		return fail("http_unreachable", `${target.host} did not answer: ${String(error)}`, true);
	}
	const { text, truncated } = await readCapped(response, MAX_TOOL_OUTPUT_BYTES);
	if (response.status === 429 || response.status >= 500) {
		const detail = remoteMessage(text);
		return fail("http_status", `${definition.name} answered ${response.status}: ${detail}`, true);
	}
	if (response.status >= 300) {
		const detail =
			response.status < 400 ? "a redirect, which is not followed" : remoteMessage(text);
		return fail("tool_rejected", `${definition.name} answered ${response.status}: ${detail}`);
	}
	if (truncated) {
		return fail(
			"tool_output_too_large",
			`${definition.name} answered more than ${MAX_TOOL_OUTPUT_BYTES} bytes`,
		);
	}
	try {
		return succeed(JSON.parse(text) as Json);
	} catch {
		return fail(
			"tool_output_invalid",
			`${definition.name} answered ${response.status} without JSON`,
		);
	}
}

/** The remote's own words for a refusal: `error.message`, `message`, or the start of the body. */
function remoteMessage(text: string): string {
	try {
		const body = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
		const message =
			typeof body.error === "object" ? body.error?.message : (body.error ?? body.message);
		if (typeof message === "string") return message.slice(0, MAX_REMOTE_MESSAGE);
	} catch {
		// not JSON: the text itself
	}
	return text.slice(0, MAX_REMOTE_MESSAGE) || "(no body)";
}
