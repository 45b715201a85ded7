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
import { DEFAULT_TENANT } from "../src/config";
import { evaluate } from "../src/engine/tools/calculator";
import { DEFAULT_LIST_LIMIT } from "../src/engine/tools/todo";
import { createApp } from "../src/worker/app";
import production, { TodoStore as ProductionTodoStore } from "../src/worker/index";
import { censusIds, runStatuses, workflowStatuses } from "./census";

export {
	Bulkhead,
	CircuitBreaker,
	RateLimiter,
	RunObject,
} from "../src/worker/index";

interface PeerParams {
	submitted_at: number;
	/** The TodoStore the instance uses: one per peer phase, so the peer starts from an empty list. */
	list: string;
}

interface BenchEnv extends Omit<Env, "BENCH_FLOOR" | "BENCH_WORKFLOW" | "TODOS"> {
	BENCH_FLOOR: DurableObjectNamespace<BenchFloor>;
	BENCH_WORKFLOW: Workflow<PeerParams>;
	TODOS: DurableObjectNamespace<TodoStore>;
}

/**
 * The production TodoStore plus one bench-only method. With auth off every run is the default
 * tenant's, whose list fills up during the creation phases; emptying it before each end-to-end
 * round gives the runtime the same empty list the Workflow peer starts from, on the same path
 * (no keys, no rate limiter) that the rest of the bench measures.
 */
export class TodoStore extends ProductionTodoStore {
	/** Deletes every todo; returns how many the list holds afterwards, as the list itself counts. */
	async clearForBench(): Promise<number> {
		this.ctx.storage.sql.exec("DELETE FROM todos");
		const listed = await this.list("all", 1);
		return listed.ok ? listed.value.total : -1;
	}
}

/** The least a run creation can cost: a new object and one storage write. */
export class BenchFloor extends DurableObject<BenchEnv> {
	async touch(): Promise<number> {
		this.ctx.storage.kv.put("created", Date.now());
		return 1;
	}
}

/**
 * The peer: the same three tool calls as the bench prompt, as durable Workflow steps. Each step
 * keeps what the runtime's step records as its output (the sum, the added todo, the list), and
 * the instance's output is the list, as a run's result is.
 */
export class BenchWorkflow extends WorkflowEntrypoint<BenchEnv, PeerParams> {
	override async run(event: Readonly<WorkflowEvent<PeerParams>>, step: WorkflowStep) {
		await step.do("calculate", async () => evaluate("2+3"));
		const todos = this.env.TODOS.get(this.env.TODOS.idFromName(event.payload.list));
		await step.do("add todo", async () => {
			const added = await todos.add("bench", `${event.instanceId}:add`);
			return added.ok ? added.value : null;
		});
		const list = await step.do("list todos", async () => {
			const listed = await todos.list("all", DEFAULT_LIST_LIMIT);
			return listed.ok ? listed.value : null;
		});
		return { submitted_at: event.payload.submitted_at, finished_at: Date.now(), list };
	}
}

/**
 * Creates the peer's instance under the request's Idempotency-Key as its id, so a resent request
 * answers 200 with the instance the lost one created, as `POST /runs` does for a run.
 */
async function createPeer(request: Request, env: BenchEnv, list: string): Promise<Response> {
	const id = request.headers.get("Idempotency-Key") ?? undefined;
	try {
		const instance = await env.BENCH_WORKFLOW.create({
			id,
			params: { submitted_at: Date.now(), list },
		});
		return Response.json({ id: instance.id }, { status: 201 });
	} catch (error) {
		if (id === undefined) throw error;
		// Already created by an earlier attempt: get() throws too if it was not.
		const existing = await env.BENCH_WORKFLOW.get(id);
		return Response.json({ id: existing.id }, { status: 200 });
	}
}

const app = createApp();

export default {
	async fetch(request, env, ctx) {
		const url = new URL(request.url);
		const post = request.method === "POST";
		if (url.pathname === "/__bench/constant") return new Response("ok");
		if (url.pathname === "/__bench/floor" && post) {
			const stub = env.BENCH_FLOOR.get(env.BENCH_FLOOR.newUniqueId());
			return Response.json({ ok: await stub.touch() });
		}
		if (url.pathname === "/__bench/workflow" && post) {
			return createPeer(request, env, url.searchParams.get("list") ?? "workflow-bench");
		}
		if (url.pathname === "/__bench/todos/clear" && post) {
			const store = env.TODOS.get(env.TODOS.idFromName(DEFAULT_TENANT));
			return Response.json({ tenant: DEFAULT_TENANT, total: await store.clearForBench() });
		}
		if (url.pathname === "/__bench/census" && post) {
			const ids = await censusIds(request);
			if (ids instanceof Response) return ids;
			const readThroughApp = (inner: Request) => Promise.resolve(app.fetch(inner, env, ctx));
			return Response.json(await runStatuses(ids, readThroughApp));
		}
		if (url.pathname === "/__bench/workflow/census" && post) {
			const ids = await censusIds(request);
			if (ids instanceof Response) return ids;
			return Response.json(await workflowStatuses(ids, env.BENCH_WORKFLOW));
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
