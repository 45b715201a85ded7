import type { Context } from "hono";
import { z } from "zod";
import { AppError } from "../../engine/errors";
import type { RunEvent } from "../../engine/run/events";
import { toPublicEvent } from "../../engine/run/public-event";
import { foldEvents, foldUntil } from "../../engine/run/reducer";
import { type RunView, toRunView } from "../../engine/run/state";
import type { AppEnv } from "../app-env";
import { eventsOf, runAt } from "./source";

const Seq = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const ReadQuery = z.object({ at: Seq.min(1).optional() }).strict();

export const EventsQuery = z
	.object({
		after: Seq.default(0),
		limit: z.coerce.number().int().min(1).max(1_000).default(100),
	})
	.strict();

/** The run now (from its object while it lives), or with `at` as it was right after that event. */
export async function readRun(
	c: Context<AppEnv>,
	runId: string,
	at: number | undefined,
): Promise<RunView> {
	if (at === undefined) {
		const live = await runAt(c, runId).view(c.var.tenant);
		if (live) return live;
	}
	const events = await eventsOf(c, runId, 0, Number.MAX_SAFE_INTEGER);
	const state = at === undefined ? foldEvents(events) : foldUntil(events, at);
	if (!state) throw outOfRange(events);
	return toRunView(state);
}

function outOfRange(events: readonly RunEvent[]): AppError {
	const last = events.at(-1)?.seq ?? 0;
	return new AppError("invalid_request", `at must be between 1 and ${last}, the run's last event`, {
		issues: [{ path: "at", message: `The run has ${last} events` }],
	});
}

/** One page of the append-only log, oldest first, and where the next page starts. */
export async function eventPage(
	c: Context<AppEnv>,
	runId: string,
	{ after, limit }: z.infer<typeof EventsQuery>,
) {
	const events = await eventsOf(c, runId, after, limit);
	const last = events.at(-1);
	return {
		events: events.map(toPublicEvent),
		next_after: events.length === limit && last ? last.seq : null,
	};
}
