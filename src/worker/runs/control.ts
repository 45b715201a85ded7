import type { Context } from "hono";
import { z } from "zod";
import { runClient } from "../../durable/run-client";
import type { ControlResult } from "../../durable/run-object";
import { AppError } from "../../engine/errors";
import { forkReuse } from "../../engine/run/fork";
import type { AppEnv } from "../app-env";
import { factory } from "../factory";
import { parseRunId } from "../run-id";
import { validate } from "../validate";
import { respond, start } from "./create";
import { stateOf } from "./source";

function clientOf(c: Context<AppEnv>) {
	return runClient(c.env, parseRunId(c.env.RUNS, c.req.param("id") ?? ""));
}

/** A refused control call becomes its error; one that depends on the run names its status. */
function answer(c: Context<AppEnv>, result: ControlResult) {
	if (result.ok) return c.json(result.run);
	const { code, message, status } = result.error;
	throw new AppError(code, message, status === undefined ? undefined : { status });
}

const Reason = z.string().trim().min(1).max(1_000);
const CancelBody = z
	.object({ compensate: z.boolean().default(false), reason: Reason.optional() })
	.strict();

/** POST /runs/:id/cancel { compensate?, reason? }, and DELETE /runs/:id?compensate=true. */
export const cancelRun = factory.createHandlers(
	validate("json", CancelBody.default({ compensate: false })),
	async (c) => {
		const { compensate, reason } = c.req.valid("json");
		return answer(c, await clientOf(c).cancel(c.var.tenant, compensate, reason ?? null));
	},
);

export const deleteRun = factory.createHandlers(
	validate("query", z.object({ compensate: z.enum(["true", "false"]).default("false") }).strict()),
	async (c) =>
		answer(
			c,
			await clientOf(c).cancel(c.var.tenant, c.req.valid("query").compensate === "true", null),
		),
);

/** POST /runs/:id/retry: re-run a failed run from its failed steps, keeping its id. */
export const retryRun = factory.createHandlers(async (c) =>
	answer(c, await clientOf(c).retry(c.var.tenant)),
);

const StepParam = z.object({ id: z.string(), n: z.coerce.number().int().min(1).max(1_000) });

export const approveStep = factory.createHandlers(validate("param", StepParam), async (c) =>
	answer(c, await clientOf(c).approve(c.var.tenant, c.req.valid("param").n)),
);

export const rejectStep = factory.createHandlers(
	validate("param", StepParam),
	validate("json", z.object({ reason: Reason }).strict()),
	async (c) =>
		answer(
			c,
			await clientOf(c).reject(c.var.tenant, c.req.valid("param").n, c.req.valid("json").reason),
		),
);

/**
 * POST /runs/:id/fork { from_step? }: a new run with the same plan and options, reusing the
 * recorded output of every step that does not depend on `from_step`.
 */
export const forkRun = factory.createHandlers(
	validate(
		"json",
		z
			.object({ from_step: z.number().int().min(1).max(1_000).optional() })
			.strict()
			.default({}),
	),
	async (c) => {
		const source = await stateOf(c, c.req.param("id") ?? "");
		const fromStep = c.req.valid("json").from_step ?? null;
		if (fromStep !== null && !source.plan.steps.some((step) => step.step_number === fromStep)) {
			throw new AppError("invalid_request", `from_step ${fromStep} is not a step of this run`, {
				issues: [{ path: "from_step", message: "Not in the plan" }],
			});
		}
		const reused = [...forkReuse(source, fromStep)].map(([step, output]) => ({ step, output }));
		const run = await start(c, {
			run_id: c.env.RUNS.newUniqueId().toString(),
			tenant: source.tenant,
			prompt: source.prompt,
			plan: source.plan,
			options: source.options,
			forked_from: { run_id: source.run_id, from_step: fromStep },
			reused,
			request_id: c.var.requestId,
		});
		return respond(c, run, 201);
	},
);
