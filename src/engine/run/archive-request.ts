import { z } from "zod";
import type { RunEvent, RunEventData } from "./events";

/**
 * A queue message carries at most 128 KB. A run's log that does not fit in this many bytes stays
 * out of its archive request, and the consumer reads the run from its object instead.
 */
export const ARCHIVE_MESSAGE_BYTES = 120_000;

/**
 * An event as the run's object logged it. The log comes from the object itself, so the payload is
 * checked only for its anchor, the type: each event type's fields are the reducer's to read.
 */
const EventSchema = z.object({
	seq: z.number().int().positive(),
	at: z.string(),
	data: z.custom<RunEventData>(
		(value) =>
			typeof value === "object" &&
			value !== null &&
			typeof (value as { type?: unknown }).type === "string",
	),
});

/**
 * A run's request to be written to D1, on the `run-archive` queue, as JSON text. It carries the
 * run's log, and the consumer folds the run from it with the same reducer as the run's object, so
 * archiving a run calls no object. Requests sent before the log travelled in them, and runs whose
 * log is too long for a message, name the run only.
 */
export const ArchiveRequestSchema = z
	.object({
		run_id: z.string().regex(/^[0-9a-f]{64}$/),
		tenant: z.string().min(1),
		events: z.array(EventSchema).min(1).optional(),
	})
	.strict();

export type ArchiveRequest = z.infer<typeof ArchiveRequestSchema>;

/** The message body for a run and its log: the log left out when it would not fit. */
export function archiveMessage(
	run_id: string,
	tenant: string,
	events: readonly RunEvent[],
): string {
	const full = JSON.stringify({ run_id, tenant, events });
	// UTF-8 takes at most 3 bytes a UTF-16 unit, so most logs need no encoding to be measured.
	if (full.length * 3 <= ARCHIVE_MESSAGE_BYTES) return full;
	if (new TextEncoder().encode(full).byteLength <= ARCHIVE_MESSAGE_BYTES) return full;
	return JSON.stringify({ run_id, tenant });
}

/** A message as sent now (JSON text) or before (a JSON object naming the run); undefined if malformed. */
export function readArchiveMessage(body: unknown): ArchiveRequest | undefined {
	let value = body;
	if (typeof body === "string") {
		try {
			value = JSON.parse(body);
		} catch {
			return undefined;
		}
	}
	const parsed = ArchiveRequestSchema.safeParse(value);
	return parsed.success ? parsed.data : undefined;
}
