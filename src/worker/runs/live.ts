import type { Context } from "hono";
import { type SSEStreamingApi, streamSSE } from "hono/streaming";
import { z } from "zod";
import { RUN_TENANT_HEADER } from "../../durable/run-api";
import { AppError } from "../../engine/errors";
import type { RunEvent } from "../../engine/run/events";
import { eventMessage, isTerminalEvent, snapshotMessage } from "../../engine/run/public-event";
import { foldEvents } from "../../engine/run/reducer";
import { TERMINAL_RUN_STATUSES, toRunView } from "../../engine/run/state";
import type { AppEnv } from "../app-env";
import type { ApiErrorCode } from "../errors";
import { eventsOf, runAt, runNotFound } from "./source";

/** A seq sent back to resume after: digits only, as every seq this server sends. */
const SeqText = z
	.string()
	.regex(/^\d{1,15}$/, "Expected a whole number: the seq of an event")
	.transform(Number);

/** `token` is the stream token, already checked by the auth middleware. */
export const After = z.object({ after: SeqText.optional(), token: z.string().optional() }).strict();

/** A WebSocket served by the run's object (Hibernation API), which speaks the upgrade. */
export async function followRunSocket(c: Context<AppEnv>, runId: string): Promise<Response> {
	if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
		throw new AppError<ApiErrorCode>(
			"upgrade_required",
			"Connect with a WebSocket upgrade (Upgrade: websocket)",
		);
	}
	// The object trusts this header for the tenant, so a client's own copy never gets through.
	const forwarded = new Request(c.req.raw);
	forwarded.headers.set(RUN_TENANT_HEADER, c.var.tenant);
	const res = await runAt(c, runId).fetch(forwarded);
	if (res.status === 404) throw runNotFound();
	if (res.status === 429) {
		throw new AppError<ApiErrorCode>("too_many_connections", await res.text());
	}
	return res;
}

const HEARTBEAT_MS = 25_000;

/**
 * SSE's own resume point, by the rule `?after=` follows: a 400 rather than a silent fresh start.
 * Empty means none, as in the SSE spec. Checked here, not by a header validator, which would make
 * the typed client require a `header` argument on every call.
 */
function lastEventIdOf(c: Context<AppEnv>): number | undefined {
	const header = c.req.header("Last-Event-ID");
	if (!header) return undefined;
	const seq = SeqText.safeParse(header);
	if (seq.success) return seq.data;
	const message = seq.error.issues[0]?.message ?? "Expected a whole number";
	throw new AppError("invalid_request", `Invalid header: Last-Event-ID: ${message}`, {
		issues: [{ path: "Last-Event-ID", message }],
	});
}

/**
 * The same messages as the WebSocket, as Server-Sent Events with `id:`
 * being the seq. A fresh client gets a snapshot first; one resuming with Last-Event-ID (or
 * ?after=) gets every event after it and no snapshot. The stream ends after the run's final
 * event, at once when that was already sent, and its loop stops when the client goes away.
 */
export async function followRunStream(
	c: Context<AppEnv>,
	runId: string,
	after: number | undefined,
): Promise<Response> {
	const client = runAt(c, runId);
	const resumeFrom = lastEventIdOf(c) ?? after;
	const { tenant } = c.var;
	const run = await client.view(tenant);
	if (!run) {
		// Purged from its object: the archive holds the whole, finished log. The same resume rule:
		// a fresh follower gets the finished run's snapshot, a resuming one what came after.
		const archived = await eventsOf(c, runId, resumeFrom ?? 0);
		const state = resumeFrom === undefined ? foldEvents(archived) : undefined;
		return streamSSE(c, async (stream) => {
			if (state) {
				await stream.writeSSE({
					id: String(state.seq),
					event: "snapshot",
					data: JSON.stringify(snapshotMessage(state.seq, toRunView(state))),
				});
				return;
			}
			for (const event of archived) await writeEvent(stream, event);
		});
	}
	return streamSSE(c, async (stream) => {
		let last = resumeFrom;
		if (last === undefined) {
			const events = (await client.events(tenant, 0)) ?? [];
			last = events.at(-1)?.seq ?? 0;
			await stream.writeSSE({
				id: String(last),
				event: "snapshot",
				data: JSON.stringify(snapshotMessage(last, run)),
			});
			if (events.some(isTerminalEvent)) return;
		} else if (TERMINAL_RUN_STATUSES.has(run.status)) {
			// Nothing more will be appended: what is recorded after `last` is all there is.
			for (const event of (await client.events(tenant, last)) ?? [])
				await writeEvent(stream, event);
			return;
		}
		// Read from the log's head at most: a follower that asked to start past it gets nothing up
		// to its seq, yet no event in between is missed (the final one included).
		const head = (await client.events(tenant, 0))?.at(-1)?.seq ?? 0;
		let cursor = Math.min(last, head);
		while (!stream.aborted && !stream.closed) {
			const event = await client.nextEvent(tenant, cursor, HEARTBEAT_MS);
			if (!event) {
				await stream.write(": heartbeat\n\n");
				continue;
			}
			cursor = event.seq;
			if (event.seq > last) {
				last = event.seq;
				await writeEvent(stream, event);
			}
			if (isTerminalEvent(event)) return;
		}
	});
}

function writeEvent(stream: SSEStreamingApi, event: RunEvent): Promise<void> {
	return stream.writeSSE({
		id: String(event.seq),
		event: "event",
		data: JSON.stringify(eventMessage(event)),
	});
}
