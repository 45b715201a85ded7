import type { RunEvent } from "./events";

/** An event as the API shows it, over HTTP, WebSocket and SSE alike: type beside the payload. */
export function toPublicEvent({ seq, at, data: { type, ...data } }: RunEvent) {
	return { seq, type, at, data };
}

export function isTerminalEvent(event: RunEvent): boolean {
	const { type } = event.data;
	return type === "run_completed" || type === "run_failed" || type === "run_cancelled";
}
