import { drizzle } from "drizzle-orm/d1";
import type { Context } from "hono";
import { z } from "zod";
import { llmPlanningFor } from "../../config";
import { archivedRun } from "../../db/run-history";
import type { ControlResult } from "../../durable/run-api";
import { AppError } from "../../engine/errors";
import { forkReuse } from "../../engine/run/fork";
import { childSpan } from "../../engine/trace";
import type { AppEnv } from "../app-env";
import { respond, start } from "./create";
import { stateOf } from "./source";

const Reason = z.string().trim().min(1).max(1_000);

/** A cancel sent without a body is one without compensation. */
export const CancelBody = z
	.object({ compensate: z.boolean().default(false), reason: Reason.optional() })
	.strict()
	.default({ compensate: false });

export const DeleteQuery = z
	.object({ compensate: z.enum(["true", "false"]).default("false") })
	.strict();

export const StepParam = z.object({ id: z.string(), n: z.coerce.number().int().min(1).max(1_000) });

export const RejectBody = z.object({ reason: Reason }).strict();

export const ForkBody = z
	.object({ from_step: z.number().int().min(1).max(1_000).optional() })
	.strict()
	.default({});

/**
 * A refused control call becomes its error; one that depends on the run names its status. A run
 * its object no longer holds may have been purged after retention: D1 then says it finished.
 */
export async function answer(c: Context<AppEnv>, result: ControlResult) {
	if (result.ok) return c.json(result.value);
	const { code, message, status } = result.error;
	if (code === "run_not_found") {
		// Only a refinement of the object's answer: with D1 unreachable, the 404 stands.
		const archived = await archivedRun(drizzle(c.env.DB), c.var.tenant, c.req.param("id") ?? "")
			.then((run) => run?.status)
			.catch(() => undefined);
		if (archived) {
			throw new AppError(
				"invalid_state",
				`This ${archived} run is archived and can no longer change; fork it to run it again`,
				{ status: archived },
			);
		}
	}
	throw new AppError(code, message, status === undefined ? undefined : { status });
}

/**
 * A new run with the same plan and options, reusing the recorded output of every step that does
 * not depend on `fromStep`.
 */
export async function forkRun(c: Context<AppEnv>, runId: string, fromStep: number | null) {
	const source = await stateOf(c, runId);
	if (fromStep !== null && !source.plan.steps.some((step) => step.step_number === fromStep)) {
		throw new AppError("invalid_request", `from_step ${fromStep} is not a step of this run`, {
			issues: [{ path: "from_step", message: "Not in the plan" }],
		});
	}
	if (source.options.mode === "agent" && !llmPlanningFor(c.env, c.var.settings, c.var.logger)) {
		throw new AppError(
			"invalid_request",
			"Agent runs need a model: this server has none configured",
			{
				issues: [
					{ path: "mode", message: "Set OPENAI_BASE_URL (and OPENAI_API_KEY) to fork agent runs" },
				],
			},
		);
	}
	const reused = [...forkReuse(source, fromStep)].map(([step, output]) => ({ step, output }));
	const forkId = c.env.RUNS.newUniqueId().toString();
	const creation = await start(c, {
		run_id: forkId,
		trace: c.var.settings.TRACING === "on" ? childSpan(c.var.trace, "run", forkId) : null,
		tenant: source.tenant,
		prompt: source.prompt,
		plan: source.plan,
		options: source.options,
		tools: source.tools,
		rounds: source.rounds,
		forked_from: { run_id: source.run_id, from_step: fromStep },
		reused,
		request_id: c.var.requestId,
	});
	if (creation.status !== "created") throw new Error("A fork's new object already held a run");
	return respond(c, creation.run, 201);
}
