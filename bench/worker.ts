/**
 * The benchmark build: the production Worker plus bench-only routes and classes. It is the entry
 * of `wrangler dev --env bench` only; the production build (src/worker/index.ts) never imports it.
 */
import {
	DurableObject,
	WorkflowEntrypoint,
	type WorkflowEvent,
	type WorkflowStep,
} from "cloudflare:workers";
import { evaluate } from "../src/engine/tools/calculator";
import { createApp } from "../src/worker/app";
import production from "../src/worker/index";

export {
	Bulkhead,
	CircuitBreaker,
	IdempotencyStore,
	RateLimiter,
	RunObject,
	TodoStore,
} from "../src/worker/index";

interface BenchEnv extends Omit<Env, "BENCH_FLOOR" | "BENCH_WORKFLOW"> {
	BENCH_FLOOR: DurableObjectNamespace<BenchFloor>;
	BENCH_WORKFLOW: Workflow<{ submitted_at: number }>;
}

/** The least a run creation can cost: a new object and one storage write. */
export class BenchFloor extends DurableObject<BenchEnv> {
	async touch(): Promise<number> {
		this.ctx.storage.kv.put("created", Date.now());
		return 1;
	}
}

/** The peer: the same three tool calls as the bench prompt, as durable Workflow steps. */
export class BenchWorkflow extends WorkflowEntrypoint<BenchEnv, { submitted_at: number }> {
	override async run(event: Readonly<WorkflowEvent<{ submitted_at: number }>>, step: WorkflowStep) {
		await step.do("calculate", async () => evaluate("2+3"));
		const todos = this.env.TODOS.get(this.env.TODOS.idFromName("workflow-bench"));
		await step.do("add todo", async () => {
			const added = await todos.add("bench", `${event.instanceId}:add`);
			return added.ok ? added.value.id : null;
		});
		await step.do("list todos", async () => {
			const listed = await todos.list("all", 100);
			return listed.ok ? listed.value.total : 0;
		});
		return { submitted_at: event.payload.submitted_at, finished_at: Date.now() };
	}
}

const app = createApp();

export default {
	async fetch(request, env, ctx) {
		const url = new URL(request.url);
		if (url.pathname === "/__bench/constant") return new Response("ok");
		if (url.pathname === "/__bench/floor" && request.method === "POST") {
			const stub = env.BENCH_FLOOR.get(env.BENCH_FLOOR.newUniqueId());
			return Response.json({ ok: await stub.touch() });
		}
		if (url.pathname === "/__bench/workflow" && request.method === "POST") {
			const instance = await env.BENCH_WORKFLOW.create({ params: { submitted_at: Date.now() } });
			return Response.json({ id: instance.id }, { status: 201 });
		}
		const match = /^\/__bench\/workflow\/([\w-]+)$/.exec(url.pathname);
		if (match?.[1]) {
			const status = await (await env.BENCH_WORKFLOW.get(match[1])).status();
			return Response.json(status);
		}
		return app.fetch(request, env, ctx);
	},
	queue: (batch, env) => production.queue(batch, env as unknown as Env),
} satisfies ExportedHandler<BenchEnv>;
