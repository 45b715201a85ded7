import type { RunEvent } from "./events";

/** An event as the API shows it, over HTTP, WebSocket and SSE alike: type beside the payload. */
export function toPublicEvent({ seq, at, data: { type, ...data } }: RunEvent) {
	return { seq, type, at, data };
}

export function isTerminalEvent(event: RunEvent): boolean {
	const { type } = event.data;
	return type === "run_completed" || type === "run_failed" || type === "run_cancelled";
}

/**
 * The live-update messages, one shape over WebSocket and Server-Sent Events alike: a snapshot of
 * the run at `seq` (sent to a fresh follower only), then each event after it, once.
 */
export function snapshotMessage(seq: number, run: unknown) {
	return { type: "snapshot" as const, seq, run };
}

export function eventMessage(event: RunEvent) {
	return { type: "event" as const, seq: event.seq, event: toPublicEvent(event) };
}
