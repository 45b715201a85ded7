import type { Json } from "../json";
import { resolveRefs, UnresolvedRefError } from "../plan/refs";
import {
	DeliveryFault,
	fail,
	type Tool,
	type ToolContext,
	ToolError,
	type ToolResult,
} from "../tools/types";

export interface PreparedInput {
	/** The input with references replaced by recorded outputs, as logged on step_started. */
	input: Json;
	/** Set when the resolved input is unusable; the attempt then fails without running the tool. */
	failure?: ToolResult;
}

/** Resolves references against the outputs recorded so far. */
export function prepareInput(raw: Json, outputs: ReadonlyMap<number, Json>): PreparedInput {
	try {
		return { input: resolveRefs(raw, outputs) };
	} catch (error) {
		if (!(error instanceof UnresolvedRefError)) throw error;
		return { input: raw, failure: fail("unresolved_reference", error.message) };
	}
}

/** The failure for an input the tool's schema rejects, or undefined when it is valid. */
export function checkInput(tool: Tool, input: Json): ToolResult | undefined {
	const parsed = tool.input.safeParse(input);
	return parsed.success ? undefined : invalidInput(tool, parsed.error.issues);
}

/**
 * Runs one attempt of a tool: checks the resolved input against the tool's schema, then races the
 * tool against its timeout. A timeout or an unexpected throw is transient; a ToolError says itself.
 */
export async function executeStep(
	tool: Tool,
	input: Json,
	ctx: ToolContext,
	timeoutMs: number,
): Promise<ToolResult> {
	const parsed = tool.input.safeParse(input);
	if (!parsed.success) return invalidInput(tool, parsed.error.issues);
	return bounded(tool.name, timeoutMs, ctx, (signal) =>
		tool.execute(parsed.data, { ...ctx, signal }),
	);
}

/** Runs a tool's compensation for a recorded success, under the same timeout rules. */
export async function compensateStep(
	tool: Tool,
	input: Json,
	output: Json,
	ctx: ToolContext,
	timeoutMs: number,
): Promise<ToolResult> {
	const { compensate } = tool;
	if (!compensate) return fail("not_compensable", `'${tool.name}' has no compensation`);
	const parsed = tool.input.safeParse(input);
	if (!parsed.success) return invalidInput(tool, parsed.error.issues);
	return bounded(tool.name, timeoutMs, ctx, (signal) =>
		compensate.call(tool, parsed.data, output, { ...ctx, signal }),
	);
}

function invalidInput(tool: Tool, issues: readonly { path: PropertyKey[]; message: string }[]) {
	const detail = issues
		.map((issue) => `${issue.path.join(".") || "input"}: ${issue.message}`)
		.join("; ");
	return fail("invalid_input", `Input for '${tool.name}' is invalid: ${detail}`);
}

/** Races `work` against a timeout; the tool's signal fires on timeout or when `ctx.signal` does. */
async function bounded(
	name: string,
	timeoutMs: number,
	ctx: ToolContext,
	work: (signal: AbortSignal) => Promise<ToolResult>,
): Promise<ToolResult> {
	const controller = new AbortController();
	const forward = () => controller.abort(ctx.signal.reason);
	ctx.signal.addEventListener("abort", forward, { once: true });
	let timer: ReturnType<typeof setTimeout> | undefined;
	const timeout = new Promise<ToolResult>((resolve) => {
		timer = setTimeout(() => {
			controller.abort(new Error("timeout"));
			resolve(fail("timeout", `'${name}' did not finish within ${timeoutMs} ms`, true));
		}, timeoutMs);
	});
	try {
		// Deferred through then(), so a tool that throws synchronously still becomes a failure.
		const run = Promise.resolve().then(() => work(controller.signal));
		return await Promise.race([run.catch(toFailure), timeout]);
	} finally {
		if (timer !== undefined) clearTimeout(timer);
		ctx.signal.removeEventListener("abort", forward);
	}
}

function toFailure(error: unknown): ToolResult {
	// A delivery fault belongs to whoever carries the step (the queue consumer), not to the step.
	if (error instanceof DeliveryFault) throw error;
	if (error instanceof ToolError) return fail(error.code, error.message, error.retryable);
	const message = error instanceof Error ? error.message : String(error);
	return fail("tool_error", message, true);
}
