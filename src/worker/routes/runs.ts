import { Hono } from "hono";
import { foldEvents } from "../../engine/run/reducer";
import { traceTree } from "../../engine/run/trace-tree";
import type { AppEnv } from "../app-env";
import { doc } from "../openapi/describe";
import {
	EventPageSchema,
	EventStreamSchema,
	RunCreatedSchema,
	RunPageSchema,
	RunSchema,
	StreamTokenSchema,
	TraceSchema,
} from "../openapi/schemas";
import {
	answer,
	CancelBody,
	DeleteQuery,
	ForkBody,
	forkRun,
	RejectBody,
	StepParam,
} from "../runs/control";
import { CreateRunBody, createRun, IdempotencyKey } from "../runs/create";
import { ListQuery, listRunPage } from "../runs/list";
import { After, followRunSocket, followRunStream } from "../runs/live";
import { EventsQuery, eventPage, ReadQuery, readRun } from "../runs/read";
import { eventsOf, runAt, runNotFound, stateOf } from "../runs/source";
import { issueStreamToken } from "../stream-token";
import { validate } from "../validate";

const tags = ["Runs"];
const run = { status: 200, description: "The run after the call", schema: RunSchema };
const steer = { tags, write: true, ok: run };

/** The runs resource: create, list, read, steer and follow. Each `:id` reaches its run by runAt. */
export const runs = new Hono<AppEnv>()
	.post(
		"/",
		doc({
			summary: "Create a run from a prompt or a plan",
			description:
				"Plans the prompt (or takes your plan), validates it and starts the run. With an Idempotency-Key header, a repeat answers 200 with the original run.",
			tags,
			write: true,
			headers: [
				{
					name: "Idempotency-Key",
					schema: IdempotencyKey,
					description:
						"1 to 255 visible ASCII characters; a repeat with the same body is answered with the original run",
				},
			],
			ok: [
				{ status: 201, description: "The new run", schema: RunCreatedSchema },
				{
					status: 200,
					description: "A repeat under the same key: the original run",
					schema: RunCreatedSchema,
				},
			],
			errors: ["invalid_plan", "unplannable_prompt", "idempotency_conflict", "too_many_live_runs"],
		}),
		validate("json", CreateRunBody),
		(c) => createRun(c, c.req.valid("json")),
	)
	.get(
		"/",
		doc({
			summary: "List runs, newest first",
			tags,
			ok: { status: 200, description: "One page of runs", schema: RunPageSchema },
			errors: ["invalid_request"],
		}),
		validate("query", ListQuery),
		async (c) => c.json(await listRunPage(c, c.req.valid("query"))),
	)
	.get(
		"/:id",
		doc({
			summary: "Read a run, now or as it was after event `at`",
			tags,
			ok: { status: 200, description: "The run", schema: RunSchema },
			errors: ["invalid_request", "run_not_found"],
		}),
		validate("query", ReadQuery),
		async (c) => c.json(await readRun(c, c.req.param("id"), c.req.valid("query").at)),
	)
	.delete(
		"/:id",
		doc({ ...steer, summary: "Cancel a run", errors: ["run_not_found", "invalid_state"] }),
		validate("query", DeleteQuery),
		async (c) => {
			const compensate = c.req.valid("query").compensate === "true";
			return answer(c, await runAt(c, c.req.param("id")).cancel(c.var.tenant, compensate, null));
		},
	)
	.get(
		"/:id/events",
		doc({
			summary: "The run's event log, a page at a time",
			tags,
			ok: { status: 200, description: "Events after `after`", schema: EventPageSchema },
			errors: ["invalid_request", "run_not_found"],
		}),
		validate("query", EventsQuery),
		async (c) => c.json(await eventPage(c, c.req.param("id"), c.req.valid("query"))),
	)
	.get(
		"/:id/trace",
		doc({
			summary: "The run's spans as a tree (a waterfall without a vendor)",
			tags,
			ok: { status: 200, description: "The trace", schema: TraceSchema },
			errors: ["run_not_found"],
		}),
		async (c) => {
			const events = await eventsOf(c, c.req.param("id"));
			const state = foldEvents(events);
			if (!state) throw runNotFound();
			return c.json(traceTree(state, events));
		},
	)
	.post(
		"/:id/stream-token",
		doc({
			summary: "A short-lived token to follow this run from a browser",
			description:
				"Browsers cannot send Authorization on a WebSocket or EventSource: pass this token as ?token= to /runs/{id}/ws or /runs/{id}/stream. It opens only those two routes, of this run only, until it expires (STREAM_TOKEN_TTL_S, 5 minutes by default).",
			tags,
			write: true,
			ok: { status: 201, description: "The token", schema: StreamTokenSchema },
			errors: ["run_not_found", "misconfigured"],
		}),
		async (c) => {
			const id = c.req.param("id");
			await stateOf(c, id);
			return c.json(await issueStreamToken(c.var.settings, c.var.tenant, id), 201);
		},
	)
	.get(
		"/:id/ws",
		doc({
			summary: "Follow the run over a WebSocket",
			description:
				"A snapshot, then each event as it is appended; with ?after=seq, the events after seq and no snapshot. Authorization header, or ?token= (a stream token).",
			tags,
			ok: { status: 101, description: "Switching protocols" },
			errors: ["invalid_request", "run_not_found", "upgrade_required", "too_many_connections"],
		}),
		validate("query", After),
		(c) => followRunSocket(c, c.req.param("id")),
	)
	.get(
		"/:id/stream",
		doc({
			summary: "Follow the run as Server-Sent Events",
			description:
				"The WebSocket's messages as SSE, `id:` being the seq; resume with Last-Event-ID or ?after=. Authorization header, or ?token= (a stream token).",
			tags,
			ok: {
				status: 200,
				description: "An event stream",
				schema: EventStreamSchema,
				media: "text/event-stream",
			},
			errors: ["invalid_request", "run_not_found"],
		}),
		validate("query", After),
		(c) => followRunStream(c, c.req.param("id"), c.req.valid("query").after),
	)
	.post(
		"/:id/cancel",
		doc({
			...steer,
			summary: "Cancel a run, optionally compensating",
			errors: ["run_not_found", "invalid_state"],
		}),
		validate("json", CancelBody),
		async (c) => {
			const { compensate, reason } = c.req.valid("json");
			const target = runAt(c, c.req.param("id"));
			return answer(c, await target.cancel(c.var.tenant, compensate, reason ?? null));
		},
	)
	.post(
		"/:id/retry",
		doc({
			...steer,
			summary: "Retry a failed run's failed steps",
			errors: ["run_not_found", "invalid_state"],
		}),
		async (c) => answer(c, await runAt(c, c.req.param("id")).retry(c.var.tenant)),
	)
	.post(
		"/:id/fork",
		doc({
			...steer,
			summary: "A new run with the same plan, reusing outputs before `from_step`",
			ok: { status: 201, description: "The new run", schema: RunCreatedSchema },
			errors: ["run_not_found", "too_many_live_runs"],
		}),
		validate("json", ForkBody),
		(c) => forkRun(c, c.req.param("id"), c.req.valid("json").from_step ?? null),
	)
	.post(
		"/:id/steps/:n/approve",
		doc({
			...steer,
			summary: "Approve a step that waits for approval",
			errors: ["run_not_found", "step_not_found", "invalid_state"],
		}),
		validate("param", StepParam),
		async (c) => {
			const { id, n } = c.req.valid("param");
			return answer(c, await runAt(c, id).approve(c.var.tenant, n));
		},
	)
	.post(
		"/:id/steps/:n/reject",
		doc({
			...steer,
			summary: "Reject a step that waits for approval (fails it and the run)",
			errors: ["run_not_found", "step_not_found", "invalid_state"],
		}),
		validate("param", StepParam),
		validate("json", RejectBody),
		async (c) => {
			const { id, n } = c.req.valid("param");
			return answer(c, await runAt(c, id).reject(c.var.tenant, n, c.req.valid("json").reason));
		},
	);
