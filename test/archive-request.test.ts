import { describe, expect, it } from "vitest";
import {
	ARCHIVE_MESSAGE_BYTES,
	archiveMessage,
	readArchiveMessage,
} from "../src/engine/run/archive-request";
import type { RunEvent } from "../src/engine/run/events";

const RUN = "a".repeat(64);

function eventWith(text: string): RunEvent {
	return {
		seq: 1,
		at: "2026-11-27T00:00:00.000Z",
		data: { type: "step_succeeded", step: 1, output: text } as unknown as RunEvent["data"],
	};
}

describe("archive requests", () => {
	it("carry the run's log, and read back as they were sent", () => {
		const events = [eventWith("small")];
		const body = archiveMessage(RUN, "acme", events);
		expect(readArchiveMessage(body)).toEqual({ run_id: RUN, tenant: "acme", events });
	});

	it("leave out a log longer than a queue message, counted in UTF-8 bytes", () => {
		// Under the limit in UTF-16 units, over it in bytes: 3 bytes a character.
		const wide = "€".repeat(Math.ceil(ARCHIVE_MESSAGE_BYTES / 3));
		expect(readArchiveMessage(archiveMessage(RUN, "acme", [eventWith(wide)]))).toEqual({
			run_id: RUN,
			tenant: "acme",
		});
		const narrow = "x".repeat(ARCHIVE_MESSAGE_BYTES / 2);
		expect(
			readArchiveMessage(archiveMessage(RUN, "acme", [eventWith(narrow)]))?.events,
		).toHaveLength(1);
	});

	it("read requests sent before the log travelled in them, and refuse noise", () => {
		expect(readArchiveMessage({ run_id: RUN, tenant: "acme" })).toEqual({
			run_id: RUN,
			tenant: "acme",
		});
		expect(readArchiveMessage("{not json")).toBeUndefined();
		expect(readArchiveMessage({ run_id: "nope", tenant: "acme" })).toBeUndefined();
		expect(
			readArchiveMessage(JSON.stringify({ run_id: RUN, tenant: "acme", events: [] })),
		).toBeUndefined();
		expect(
			readArchiveMessage({ run_id: RUN, tenant: "acme", events: [{ seq: 0, at: "", data: {} }] }),
		).toBeUndefined();
	});
});
