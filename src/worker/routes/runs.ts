import { Hono } from "hono";
import { foldEvents } from "../../engine/run/reducer";
import { traceTree } from "../../engine/run/trace-tree";
import type { AppEnv } from "../app-env";
import {
	answer,
	CancelBody,
	DeleteQuery,
	ForkBody,
	forkRun,
	RejectBody,
	StepParam,
} from "../runs/control";
import { CreateRunBody, createRun } from "../runs/create";
import { ListQuery, listRunPage } from "../runs/list";
import { After, followRunSocket, followRunStream } from "../runs/live";
import { EventsQuery, eventPage, ReadQuery, readRun } from "../runs/read";
import { eventsOf, runAt, runNotFound } from "../runs/source";
import { validate } from "../validate";

/** The runs resource: create, list, read, steer and follow. Each `:id` reaches its run by runAt. */
export const runs = new Hono<AppEnv>()
	.post("/", validate("json", CreateRunBody), (c) => createRun(c, c.req.valid("json")))
	.get("/", validate("query", ListQuery), async (c) =>
		c.json(await listRunPage(c, c.req.valid("query"))),
	)
	.get("/:id", validate("query", ReadQuery), async (c) =>
		c.json(await readRun(c, c.req.param("id"), c.req.valid("query").at)),
	)
	.delete("/:id", validate("query", DeleteQuery), async (c) => {
		const compensate = c.req.valid("query").compensate === "true";
		return answer(c, await runAt(c, c.req.param("id")).cancel(c.var.tenant, compensate, null));
	})
	.get("/:id/events", validate("query", EventsQuery), async (c) =>
		c.json(await eventPage(c, c.req.param("id"), c.req.valid("query"))),
	)
	.get("/:id/trace", async (c) => {
		const events = await eventsOf(c, c.req.param("id"));
		const state = foldEvents(events);
		if (!state) throw runNotFound();
		return c.json(traceTree(state, events));
	})
	.get("/:id/ws", validate("query", After), (c) => followRunSocket(c, c.req.param("id")))
	.get("/:id/stream", validate("query", After), (c) =>
		followRunStream(c, c.req.param("id"), c.req.valid("query").after),
	)
	.post("/:id/cancel", validate("json", CancelBody), async (c) => {
		const { compensate, reason } = c.req.valid("json");
		const run = runAt(c, c.req.param("id"));
		return answer(c, await run.cancel(c.var.tenant, compensate, reason ?? null));
	})
	.post("/:id/retry", async (c) => answer(c, await runAt(c, c.req.param("id")).retry(c.var.tenant)))
	.post("/:id/fork", validate("json", ForkBody), (c) =>
		forkRun(c, c.req.param("id"), c.req.valid("json").from_step ?? null),
	)
	.post("/:id/steps/:n/approve", validate("param", StepParam), async (c) => {
		const { id, n } = c.req.valid("param");
		return answer(c, await runAt(c, id).approve(c.var.tenant, n));
	})
	.post(
		"/:id/steps/:n/reject",
		validate("param", StepParam),
		validate("json", RejectBody),
		async (c) => {
			const { id, n } = c.req.valid("param");
			return answer(c, await runAt(c, id).reject(c.var.tenant, n, c.req.valid("json").reason));
		},
	);
