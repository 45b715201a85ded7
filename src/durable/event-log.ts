import { inflateSync, strFromU8 } from "fflate";
import type { RunEvent, RunEventData } from "../engine/run/events";

interface EventRow extends Record<string, SqlStorageValue> {
	seq: number;
	at: string;
	/** JSON text, or the same deflated (a BLOB) once the run is archived (see `packLarge`). */
	data: string | ArrayBuffer;
}

/**
 * Payloads this long are deflated once the run is archived: a finished run's storage is its
 * outputs (a todo list, an HTTP body), which compress several times over, while small events stay
 * readable text. Appends store text, so no step pays for compression.
 */
export const COMPRESS_FROM = 1_024;

/** Native zlib (CompressionStream), which is several times cheaper than deflating in JS. */
async function deflate(text: string): Promise<ArrayBuffer> {
	const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("deflate-raw"));
	return new Response(stream).arrayBuffer();
}

function decode(data: string | ArrayBuffer): RunEventData {
	// Synchronous, since a restarted object folds its log in its constructor: fflate inflates
	// what CompressionStream deflated (both raw DEFLATE), on the rare read of an archived run.
	const json = typeof data === "string" ? data : strFromU8(inflateSync(new Uint8Array(data)));
	return JSON.parse(json) as RunEventData;
}

/** The archive mark's row; events are numbered from 1. */
const ARCHIVED_SEQ = 0;

/**
 * The run's append-only log in the object's SQLite storage. Appends are synchronous SQL, so each
 * one is committed with the turn that made it, before any reply or next step leaves the object.
 */
export class EventLog {
	private ready: boolean;

	constructor(private readonly sql: SqlStorage) {
		// The table is created by the first append, so reading an object that never held a run
		// (a lookup of an unknown id) writes nothing and leaves no object behind.
		this.ready =
			sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'").toArray()
				.length > 0;
	}

	append(data: RunEventData, at: string): RunEvent {
		if (!this.ready) {
			this.sql.exec(
				"CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, type TEXT NOT NULL, at TEXT NOT NULL, data TEXT NOT NULL)",
			);
			this.ready = true;
		}
		const row = this.sql
			.exec<{ seq: number }>(
				"INSERT INTO events (type, at, data) VALUES (?, ?, ?) RETURNING seq",
				data.type,
				at,
				JSON.stringify(data),
			)
			.one();
		return { seq: row.seq, at, data };
	}

	/**
	 * When the run's archive was confirmed. It is kept at seq 0 of the events table, below every
	 * event (reads start after seq 0): a table of its own would cost a schema change and a
	 * storage page on every run.
	 */
	archivedAt(): string | undefined {
		if (!this.ready) return undefined;
		const [row] = this.sql
			.exec<{ at: string }>("SELECT at FROM events WHERE seq = ?", ARCHIVED_SEQ)
			.toArray();
		return row?.at;
	}

	/**
	 * Every payload of COMPRESS_FROM bytes or more still stored as text, deflated. Asynchronous
	 * and without writing, so the caller can store the result with its own writes in one turn.
	 */
	async packLarge(): Promise<Array<{ seq: number; data: ArrayBuffer }>> {
		if (!this.ready) return [];
		const rows = this.sql
			.exec<{ seq: number; data: string }>(
				"SELECT seq, data FROM events WHERE typeof(data) = 'text' AND length(data) >= ?",
				COMPRESS_FROM,
			)
			.toArray();
		return Promise.all(rows.map(async ({ seq, data }) => ({ seq, data: await deflate(data) })));
	}

	/** Stores what packLarge returned. */
	storePacked(rows: ReadonlyArray<{ seq: number; data: ArrayBuffer }>): void {
		for (const { seq, data } of rows) {
			this.sql.exec("UPDATE events SET data = ? WHERE seq = ?", data, seq);
		}
	}

	markArchived(at: string): void {
		this.sql.exec(
			"INSERT OR REPLACE INTO events (seq, type, at, data) VALUES (?, 'archived', ?, '')",
			ARCHIVED_SEQ,
			at,
		);
	}

	clearArchived(): void {
		if (this.ready) this.sql.exec("DELETE FROM events WHERE seq = ?", ARCHIVED_SEQ);
	}

	*read(afterSeq = 0, limit = Number.MAX_SAFE_INTEGER): Generator<RunEvent> {
		if (!this.ready) return;
		const rows = this.sql.exec<EventRow>(
			"SELECT seq, at, data FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
			Math.max(afterSeq, ARCHIVED_SEQ),
			limit,
		);
		for (const row of rows) yield { seq: row.seq, at: row.at, data: decode(row.data) };
	}
}
