import { z } from "zod";
import { DEFAULT_TENANT, plannerFor, registryFor } from "../../config";
import { runClient } from "../../durable/run-client";
import { finalisePlan } from "../../engine/plan/finalise";
import { RunPolicySchema } from "../../engine/plan/model";
import { factory } from "../factory";
import { validate } from "../validate";

export const MAX_PROMPT_LENGTH = 4_000;

const CreateRunBody = z
	.object({
		prompt: z.string().trim().min(1, "The prompt is empty").max(MAX_PROMPT_LENGTH),
		policy: RunPolicySchema.optional(),
	})
	.strict();

/** POST /runs: plan the prompt, validate the plan, hand it to a new run object, answer 201. */
export const createRun = factory.createHandlers(validate("json", CreateRunBody), async (c) => {
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
});
