import type { RunEvent } from "../engine/run/events";
import { eventMessage, isTerminalEvent, snapshotMessage } from "../engine/run/public-event";
import type { RunView } from "../engine/run/state";

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
	 * Accepts a follower. A fresh one gets a snapshot, then live events; one resuming after a seq
	 * gets no snapshot, only the recorded events after it, then live ones: each event once. A
	 * finished run closes the socket at once.
	 */
	accept(
		snapshot: { seq: number; run: RunView } | null,
		missed: readonly RunEvent[],
		finished: boolean,
	): Response {
		const { 0: client, 1: server } = new WebSocketPair();
		this.ctx.acceptWebSocket(server);
		if (snapshot) server.send(JSON.stringify(snapshotMessage(snapshot.seq, snapshot.run)));
		for (const event of missed) server.send(JSON.stringify(eventMessage(event)));
		if (finished) server.close(1000, "run finished");
		return new Response(null, { status: 101, webSocket: client });
	}

	/** Hands one appended event to every waiter and follower; closes followers after the final one. */
	broadcast(event: RunEvent): void {
		for (const listener of this.listeners) listener(event);
		const message = JSON.stringify(eventMessage(event));
		const terminal = isTerminalEvent(event);
		for (const socket of this.ctx.getWebSockets()) {
			try {
				socket.send(message);
				if (terminal) socket.close(1000, "run finished");
			} catch {
				// A socket that is already closing has nothing left to receive.
			}
		}
	}
}
