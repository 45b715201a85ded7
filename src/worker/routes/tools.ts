import { type Context, Hono } from "hono";
import { z } from "zod";
import { registryFor } from "../../config";
import { breakerReports } from "../../durable/tool-breakers";
import { toolContextFor } from "../../durable/tool-context";
import { AppError } from "../../engine/errors";
import { resolvePolicy } from "../../engine/resilience/retry-policy";
import { executeStep } from "../../engine/run/execute-step";
import { dryRunOf } from "../../engine/tools/dry-run";
import { DeliveryFault, fail } from "../../engine/tools/types";
import type { AppEnv } from "../app-env";
import type { ApiErrorCode } from "../errors";
import { doc } from "../openapi/describe";
import { DryRunSchema, ToolsSchema } from "../openapi/schemas";
import { validate } from "../validate";

const DryRunBody = z.object({ input: z.record(z.string(), z.json()) }).strict();

/**
 * The tool catalogue, with each input's JSON Schema as the planners see it, and dry runs:
 * POST /tools/:name/test { input } validates the input; a read-only tool then runs for real, a
 * mutating one only says what it would do.
 */
export const tools = new Hono<AppEnv>()
	.get(
		"/",
		doc({
			summary: "The tool catalogue, with input schemas and breakers",
			tags: ["Tools"],
			ok: { status: 200, description: "Every tool", schema: ToolsSchema },
		}),
		async (c) => {
			const registry = registryFor(c.var.settings);
			const breakers = await breakerReports(c.env, c.var.settings, registry.names());
			const tools = registry.describe().map((tool) => ({ ...tool, breaker: breakers[tool.name] }));
			return c.json({ tools });
		},
	)
	.post(
		"/:name/test",
		doc({
			summary: "Dry-run a tool: validate an input; run it only if it changes nothing",
			tags: ["Tools"],
			write: true,
			ok: { status: 200, description: "The verdict", schema: DryRunSchema },
			errors: ["tool_not_found"],
		}),
		validate("json", DryRunBody),
		(c) => dryRun(c, c.req.param("name"), c.req.valid("json").input),
	);

/** Validates the input; runs a read-only tool for real, and says what a mutating one would do. */
async function dryRun(
	c: Context<AppEnv>,
	name: string,
	input: z.infer<typeof DryRunBody>["input"],
) {
	const tool = registryFor(c.var.settings).get(name);
	if (!tool) throw new AppError<ApiErrorCode>("tool_not_found", `No tool is named '${name}'`);
	const parsed = tool.input.safeParse(input);
	if (!parsed.success) {
		const issues = parsed.error.issues.map((issue) => ({
			path: issue.path.map(String).join(".") || "input",
			message: issue.message,
		}));
		throw new AppError("invalid_request", `Input for '${name}' is invalid: ${issues[0]?.message}`, {
			issues,
		});
	}
	const dryRun = { run_id: `dry-run:${crypto.randomUUID()}`, tenant: c.var.tenant } as const;
	const ctx = toolContextFor(
		c.env,
		c.var.settings,
		dryRun,
		{ stepNumber: 1, attempt: 1, idempotencyKey: `${dryRun.run_id}:1` },
		new AbortController().signal,
	);
	const verdict = dryRunOf(tool, parsed.data, ctx.services);
	if (!verdict.executed) return c.json({ tool: name, valid: true, ...verdict });
	const timeoutMs = resolvePolicy(tool.retry, undefined).timeout_ms;
	// A dry run has no delivery to fault: an injected delivery fault is just its result.
	const result = await executeStep(tool, input, ctx, timeoutMs).catch((error: unknown) => {
		if (error instanceof DeliveryFault) return fail("delivery_fault", error.message, true);
		throw error;
	});
	return c.json({ tool: name, valid: true, executed: true, result });
}
