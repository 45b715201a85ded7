import type { Context } from "hono";
import { z } from "zod";
import { toolContextFor } from "../../durable/tool-context";
import { AppError } from "../../engine/errors";
import { resolvePolicy } from "../../engine/resilience/retry-policy";
import { executeStep } from "../../engine/run/execute-step";
import { dryRunOf } from "../../engine/tools/dry-run";
import { DeliveryFault, fail } from "../../engine/tools/types";
import type { AppEnv } from "../app-env";
import type { ApiErrorCode } from "../errors";
import { tenantRegistry } from "./tenant-registry";

export const DryRunBody = z.object({ input: z.record(z.string(), z.json()) }).strict();

/** Validates the input; runs a read-only tool for real, and says what a mutating one would do. */
export async function dryRun(
	c: Context<AppEnv>,
	name: string,
	input: z.infer<typeof DryRunBody>["input"],
) {
	const tool = (await tenantRegistry(c)).registry.get(name);
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
