import { Hono } from "hono";
import { z } from "zod";
import { DEFAULT_TENANT, plannerFor, registryFor } from "../../config";
import { runClient } from "../../durable/run-client";
import { AppError } from "../../engine/errors";
import { finalisePlan } from "../../engine/plan/finalise";
import { RunPolicySchema } from "../../engine/plan/model";
import type { AppEnv } from "../app-env";
import { methodNotAllowed } from "../errors";
import { parseRunId } from "../run-id";
import { validate } from "../validate";

export const MAX_PROMPT_LENGTH = 4_000;

const CreateRunBody = z
	.object({
		prompt: z.string().trim().min(1, "The prompt is empty").max(MAX_PROMPT_LENGTH),
		policy: RunPolicySchema.optional(),
	})
	.strict();

export const runs = new Hono<AppEnv>()
	.post("/", validate("json", CreateRunBody), async (c) => {
		const { prompt, policy } = c.req.valid("json");
		const planner = plannerFor(c.env);
		const draft = await planner.plan(prompt);
		const plan = finalisePlan(draft, registryFor(c.env), {
			planId: crypto.randomUUID(),
			planner: planner.name,
			failureCode: "unplannable_prompt",
		});
		const id = c.env.RUNS.newUniqueId();
		const run = await runClient(c.env, id).create({
			run_id: id.toString(),
			tenant: DEFAULT_TENANT,
			prompt,
			plan,
			policy: policy ?? {},
			request_id: c.var.requestId,
		});
		c.var.logger.info("run created", { run_id: run.run_id, steps: plan.steps.length });
		const { run_id, status, created_at } = run;
		return c.json({ run_id, status, prompt, plan, created_at }, 201);
	})
	.get("/:id", async (c) => {
		const id = parseRunId(c.env.RUNS, c.req.param("id"));
		const run = await runClient(c.env, id).view();
		if (!run) throw new AppError("run_not_found", "No run has this id");
		return c.json(run);
	})
	.all("/", methodNotAllowed(["POST"]))
	.all("/:id", methodNotAllowed(["GET"]));
