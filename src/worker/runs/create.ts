import type { Context } from "hono";
import { z } from "zod";
import { llmPlanningFor, registryFor } from "../../config";
import type { RunInit } from "../../durable/run-api";
import { runClient } from "../../durable/run-api";
import { tenantCatalogue, toolsFrom } from "../../durable/tenant-tools";
import { AppError } from "../../engine/errors";
import type { Budget } from "../../engine/plan/budget";
import { finalisePlan } from "../../engine/plan/finalise";
import { type Plan, PlanDraftSchema, RunOptionsSchema } from "../../engine/plan/model";
import { planPrompt } from "../../engine/planner/planning";
import { costOf } from "../../engine/run/budget";
import type { Creation } from "../../engine/run/idempotency";
import { type RunView, TERMINAL_RUN_STATUSES } from "../../engine/run/state";
import { childSpan, spanRecord } from "../../engine/trace";
import { authRequired, budgetFor, limitsFor, type Settings } from "../../settings";
import type { AppEnv } from "../app-env";
import type { ApiErrorCode } from "../errors";
import { readRun } from "./read";

export const MAX_PROMPT_LENGTH = 4_000;

export const CreateRunBody = RunOptionsSchema.extend({
	prompt: z.string().trim().min(1, "The prompt is empty").max(MAX_PROMPT_LENGTH).optional(),
	plan: PlanDraftSchema.optional(),
	planner: z.enum(["auto", "llm", "rules"]).optional(),
	/** false skips the LLM plan cache for this request. */
	cache: z.boolean().default(true),
})
	.superRefine((body, ctx) => {
		if (body.prompt !== undefined && body.plan !== undefined) {
			ctx.addIssue({
				code: "custom",
				path: ["plan"],
				message: "Send either a prompt or a plan, not both",
			});
		} else if (body.mode === "agent" && body.plan !== undefined) {
			ctx.addIssue({
				code: "custom",
				path: ["mode"],
				message: "An agent run starts from a prompt, not a plan",
			});
		} else if (body.prompt === undefined && body.plan === undefined) {
			ctx.addIssue({
				code: "custom",
				path: ["prompt"],
				message: "Send a prompt (a task in words) or a plan (steps of your own); neither was given",
			});
		}
	})
	.meta({
		examples: [
			{ prompt: "Add a todo to buy milk, then show me all my tasks" },
			{
				plan: {
					goal: "pause then add",
					steps: [
						{ step_number: 1, tool: "wait", input: { ms: 5000 } },
						{ step_number: 2, tool: "todo.add", input: { title: "after the pause" } },
					],
				},
			},
		],
	});

type CreateRunBody = z.infer<typeof CreateRunBody>;

export const IdempotencyKey = z
	.string()
	.regex(/^[\x21-\x7e]{1,255}$/, "Idempotency-Key must be 1 to 255 visible ASCII characters");

/**
 * POST /runs: plan the prompt (or take the client's plan), validate it like any other, hand it to
 * a new run object and answer 201. With an Idempotency-Key, the key names the run's object: a
 * repeat answers 200 with the original run for as long as the run exists, and the same key with
 * another body is a 409. No other object is asked, so a key costs nothing beyond the run.
 */
export async function createRun(c: Context<AppEnv>, body: CreateRunBody) {
	const rawKey = c.req.header("Idempotency-Key");
	if (rawKey === undefined) {
		return answer(c, await start(c, await prepare(c, body, c.env.RUNS.newUniqueId())));
	}
	const key = IdempotencyKey.safeParse(rawKey);
	if (!key.success)
		throw new AppError("invalid_request", key.error.issues[0]?.message ?? "Bad key");

	const request_hash = await sha256(JSON.stringify(body));
	const id = c.env.RUNS.idFromName(JSON.stringify([c.var.tenant, key.data]));
	// Peek first, so a replay never pays for planning again.
	const claim = await runClient(c.env, id).peekKey(c.var.tenant, request_hash);
	if (claim.status !== "new") return answer(c, claim, id);
	return answer(c, await start(c, { ...(await prepare(c, body, id)), request_hash }), id);
}

/** 201 for a new run; 200 with the run a repeated key created; 409 for a key's other body. */
async function answer(c: Context<AppEnv>, creation: Creation, id?: DurableObjectId) {
	switch (creation.status) {
		case "created":
			return respond(c, creation.run, 201);
		case "replay":
			return respond(c, creation.run, 200);
		case "archived":
			return respond(c, await readRun(c, id?.toString() ?? "", undefined), 200);
		case "conflict":
			throw new AppError<ApiErrorCode>(
				"idempotency_conflict",
				"This Idempotency-Key was already used with a different body",
			);
	}
}

/** Plans (or takes the client's plan), validates, and builds the new run's creation input. */
async function prepare(
	c: Context<AppEnv>,
	body: CreateRunBody,
	id: DurableObjectId,
): Promise<RunInit> {
	const { prompt, plan: clientPlan, planner, cache, ...asked } = body;
	const { settings } = c.var;
	const options = { ...asked, budget: effectiveBudget(c, asked.budget) };
	if (options.mode === "agent" && !llmPlanningFor(c.env, settings, c.var.logger)) {
		throw new AppError(
			"invalid_request",
			"Agent runs need a model: this server has none configured",
			{
				issues: [
					{ path: "mode", message: "Set OPENAI_BASE_URL (and OPENAI_API_KEY) for agent runs" },
				],
			},
		);
	}
	const catalogue = await tenantCatalogue(c.env, c.var.tenant);
	const registry = registryFor(settings).with(toolsFrom(catalogue));
	const planId = crypto.randomUUID();
	const started = Date.now();
	const tracing = settings.TRACING === "on";
	const planning = clientPlan
		? Promise.resolve(
				finalisePlan(clientPlan, registry, {
					planId,
					planner: "client",
					failureCode: "invalid_plan",
				}),
			)
		: planPrompt(
				{
					prompt: prompt ?? "",
					choice: planner ?? settings.DEFAULT_PLANNER,
					useCache: cache,
					planId,
					...(catalogue.length ? { cacheScope: c.var.tenant } : {}),
				},
				registry,
				llmPlanningFor(c.env, settings, c.var.logger, tracing ? c.var.trace : undefined),
			);
	const logPlan = (status: "ok" | "error", attributes: Record<string, string | number>) => {
		if (!tracing || !c.var.trace.sampled) return;
		const record = spanRecord(
			childSpan(c.var.trace, "plan"),
			"plan",
			started,
			Date.now(),
			status,
			attributes,
		);
		c.var.logger.info("span", record);
	};
	const planned = await planning.catch((error: unknown) => {
		logPlan("error", { tenant: c.var.tenant, outcome: "refused" });
		throw error;
	});
	const plan = priced(planned, settings);
	logPlan("ok", { tenant: c.var.tenant, planner: plan.planner, steps: plan.steps.length });
	const runId = id.toString();
	const used = new Set(plan.steps.map((step) => step.tool));
	return {
		run_id: runId,
		tenant: c.var.tenant,
		prompt: prompt ?? null,
		plan,
		options,
		tools: catalogue.filter((tool) => used.has(tool.name)),
		forked_from: null,
		trace: tracing ? childSpan(c.var.trace, "run", runId) : null,
		reused: [],
		request_id: c.var.requestId,
	};
}

/** The run's budget from its request, its tenant and the deployment; over a ceiling is a 400. */
function effectiveBudget(c: Context<AppEnv>, asked: Budget | undefined): Budget {
	const { budget, over } = budgetFor(c.var.settings, c.var.tenant, asked);
	if (over.length > 0) {
		const ceiling = c.var.settings.BUDGETS.ceiling ?? {};
		const issues = over.map((name) => ({
			path: `budget.${name}`,
			message: `At most ${ceiling[name]} on this server`,
		}));
		throw new AppError(
			"invalid_request",
			`Invalid json: ${issues[0]?.path}: ${issues[0]?.message}`,
			{ issues },
		);
	}
	return budget;
}

/** The first planning round's cost, by LLM_PRICES, kept with its usage. */
function priced(plan: Plan, settings: Settings): Plan {
	if (!plan.planning?.usage) return plan;
	const cost_usd = costOf(plan.planning.usage, plan.planning.model, settings.LLM_PRICES);
	return { ...plan, planning: { ...plan.planning, cost_usd } };
}

/**
 * Creates the run on its object. Where keys are required the run first takes one of its
 * tenant's live-run slots, given back by the run's archive, or here at once if creation fails.
 * Slots are held by run id, so a keyed repeat that loses the race to create shares the slot of
 * the run it repeats; it gives back one it took only when that run has already finished.
 */
export async function start(c: Context<AppEnv>, init: RunInit): Promise<Creation> {
	const quota = c.env.RATE_LIMITER.get(c.env.RATE_LIMITER.idFromName(init.tenant));
	const holdsSlot = authRequired(c.var.settings);
	let taken = false;
	if (holdsSlot) {
		const limit = limitsFor(c.var.settings, init.tenant).live_runs;
		const slot = await quota.acquireRun(init.run_id, limit);
		taken = slot.taken;
		if (!slot.ok) {
			throw new AppError<ApiErrorCode>(
				"too_many_live_runs",
				`This tenant already has ${slot.live} live runs; the limit is ${limit}`,
				{ limit },
			);
		}
	}
	let creation: Creation;
	try {
		creation = await runClient(c.env, c.env.RUNS.idFromString(init.run_id)).create({
			...init,
			live_slot: holdsSlot,
		});
	} catch (error) {
		if (taken) await quota.releaseRun(init.run_id);
		throw error;
	}
	const finished =
		creation.status === "archived" ||
		(creation.status === "replay" && TERMINAL_RUN_STATUSES.has(creation.run.status));
	if (taken && finished) await quota.releaseRun(init.run_id);
	c.var.logger.debug("run created", { run_id: init.run_id, steps: init.plan.steps.length });
	return creation;
}

/** The creation answer: the same shape for 201, a replay's 200 and a fork (which names its source). */
export function respond(c: Context<AppEnv>, run: RunView, status: 200 | 201) {
	const { run_id, status: runStatus, prompt, plan, created_at, forked_from } = run;
	const body = { run_id, status: runStatus, prompt, plan, created_at };
	return c.json(forked_from ? { ...body, forked_from } : body, status);
}

async function sha256(text: string): Promise<string> {
	const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
	return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
