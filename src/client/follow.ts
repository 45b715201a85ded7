import { EventSourceParserStream } from "eventsource-parser/stream";

/** A live-update message: the run so far (fresh followers only), then each event once. */
export type LiveMessage =
	| {
			type: "snapshot";
			seq: number;
			run: { run_id: string; status: string } & Record<string, unknown>;
	  }
	| {
			type: "event";
			seq: number;
			event: { seq: number; type: string; at: string; data: Record<string, unknown> };
	  };

/** What followRun reads of a response: a typed client's answer or a plain fetch's. */
interface StreamResponse {
	ok: boolean;
	status: number;
	body: ReadableStream<Uint8Array> | null;
	text(): Promise<string>;
}

/**
 * Follows a run over Server-Sent Events until its final event: yields the snapshot, then every
 * event. `response` is the answer of `client.runs[":id"].stream.$get(...)`; pass `?after=` there
 * to resume after a seq you already have.
 */
export async function* followRun(response: StreamResponse): AsyncGenerator<LiveMessage> {
	if (!response.ok || !response.body) {
		throw new Error(`Cannot follow the run: ${response.status} ${await response.text()}`);
	}
	const messages = response.body
		.pipeThrough(new TextDecoderStream())
		.pipeThrough(new EventSourceParserStream());
	for await (const message of messages) {
		if (message.event === "snapshot" || message.event === "event") {
			yield JSON.parse(message.data) as LiveMessage;
		}
	}
}
