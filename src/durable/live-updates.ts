import type { RunEvent } from "../engine/run/events";
import { eventMessage, isTerminalEvent, snapshotMessage } from "../engine/run/public-event";
import { isTerminal, type RunState, toRunView } from "../engine/run/state";

/** Caps on live followers: sockets per run, and the size of anything they send. */
const MAX_FOLLOWERS = 100;
const MAX_FOLLOWER_MESSAGE_BYTES = 1_024;

/**
 * WebSocket followers of one run, through the Hibernation API: the runtime holds idle sockets,
 * so a follower costs nothing between events and survives the object's eviction.
 */
export class LiveUpdates {
	private readonly listeners = new Set<(event: RunEvent) => void>();

	constructor(private readonly ctx: DurableObjectState) {}

	/** Resolves with the next appended event, or null after `timeoutMs`. */
	nextAppended(timeoutMs: number): Promise<RunEvent | null> {
		return new Promise((resolve) => {
			const listener = (event: RunEvent) => {
				clearTimeout(timer);
				this.listeners.delete(listener);
				resolve(event);
			};
			const timer = setTimeout(() => {
				this.listeners.delete(listener);
				resolve(null);
			}, timeoutMs);
			this.listeners.add(listener);
		});
	}

	/**
	 * Accepts a follower. A fresh one (`after` null) gets a snapshot, then live events; one
	 * resuming after a seq gets no snapshot, only the recorded events after it, then live ones:
	 * each event once. A finished run closes the socket at once.
	 */
	follow(
		state: RunState,
		after: number | null,
		recordedAfter: (seq: number) => RunEvent[],
	): Response {
		if (this.ctx.getWebSockets().length >= MAX_FOLLOWERS) {
			return new Response(`A run takes at most ${MAX_FOLLOWERS} followers`, { status: 429 });
		}
		const { 0: client, 1: server } = new WebSocketPair();
		this.ctx.acceptWebSocket(server);
		// Kept with the socket (it survives hibernation): a follower asking to start after a seq
		// the run has not reached yet gets nothing up to that seq.
		server.serializeAttachment({ after: after ?? state.seq });
		if (after === null) server.send(JSON.stringify(snapshotMessage(state.seq, toRunView(state))));
		for (const event of after === null ? [] : recordedAfter(after)) {
			server.send(JSON.stringify(eventMessage(event)));
		}
		if (isTerminal(state)) server.close(1000, "run finished");
		return new Response(null, { status: 101, webSocket: client });
	}

	/** Followers only listen: small messages (pings) are ignored, large ones end the connection. */
	heard(socket: WebSocket, message: string | ArrayBuffer): void {
		const size = typeof message === "string" ? message.length : message.byteLength;
		if (size > MAX_FOLLOWER_MESSAGE_BYTES) socket.close(1009, "message too big");
	}

	/**
	 * A follower left: answer its close. Codes a peer may not send (1005 none, 1006 abnormal,
	 * 1015 TLS) are answered with 1000, and a socket its peer dropped needs no answer at all.
	 */
	left(socket: WebSocket, code: number): void {
		const sendable = code >= 1000 && code < 5000 && ![1004, 1005, 1006, 1015].includes(code);
		try {
			socket.close(sendable ? code : 1000, "follower left");
		} catch {
			// Already closed by the peer's drop.
		}
	}

	/** Hands one appended event to every waiter and follower; closes followers after the final one. */
	broadcast(event: RunEvent): void {
		for (const listener of this.listeners) listener(event);
		const message = JSON.stringify(eventMessage(event));
		const terminal = isTerminalEvent(event);
		for (const socket of this.ctx.getWebSockets()) {
			try {
				const from = (socket.deserializeAttachment() as { after?: number } | null)?.after ?? 0;
				if (event.seq > from) socket.send(message);
				if (terminal) socket.close(1000, "run finished");
			} catch {
				// A socket that is already closing has nothing left to receive.
			}
		}
	}
}
