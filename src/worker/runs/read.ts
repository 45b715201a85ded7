import { z } from "zod";
import { runClient } from "../../durable/run-client";
import { AppError } from "../../engine/errors";
import type { RunEvent } from "../../engine/run/events";
import { toPublicEvent } from "../../engine/run/public-event";
import { foldEvents, foldUntil } from "../../engine/run/reducer";
import { toRunView } from "../../engine/run/state";
import { factory } from "../factory";
import { parseRunId } from "../run-id";
import { validate } from "../validate";
import { eventsOf } from "./source";

const Seq = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** GET /runs/:id, and with ?at=<seq> the run as it was right after that event. */
export const readRun = factory.createHandlers(
	validate("query", z.object({ at: Seq.min(1).optional() }).strict()),
	async (c) => {
		const runId = c.req.param("id") ?? "";
		const { at } = c.req.valid("query");
		if (at === undefined) {
			const live = await runClient(c.env, parseRunId(c.env.RUNS, runId)).view(c.var.tenant);
			if (live) return c.json(live);
		}
		const events = await eventsOf(c, runId, 0, Number.MAX_SAFE_INTEGER);
		const state = at === undefined ? foldEvents(events) : foldUntil(events, at);
		if (!state) throw outOfRange(events);
		return c.json(toRunView(state));
	},
);

function outOfRange(events: readonly RunEvent[]): AppError {
	const last = events.at(-1)?.seq ?? 0;
	return new AppError("invalid_request", `at must be between 1 and ${last}, the run's last event`, {
		issues: [{ path: "at", message: `The run has ${last} events` }],
	});
}

/** GET /runs/:id/events?after=&limit=: the append-only log, oldest first. */
export const readEvents = factory.createHandlers(
	validate(
		"query",
		z
			.object({
				after: Seq.default(0),
				limit: z.coerce.number().int().min(1).max(1_000).default(100),
			})
			.strict(),
	),
	async (c) => {
		const { after, limit } = c.req.valid("query");
		const events = await eventsOf(c, c.req.param("id") ?? "", after, limit);
		const last = events.at(-1);
		return c.json({
			events: events.map(toPublicEvent),
			next_after: events.length === limit && last ? last.seq : null,
		});
	},
);
