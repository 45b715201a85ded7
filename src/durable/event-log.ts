// workerd's own zlib (the reason for nodejs_compat): synchronous like the SQL around it, and about
// five times faster than deflating in JavaScript. Raw DEFLATE, so it reads what fflate wrote.
import { deflateRawSync, inflateRawSync } from "node:zlib";
import type { RunEvent, RunEventData } from "../engine/run/events";

interface EventRow extends Record<string, SqlStorageValue> {
	seq: number;
	at: string;
	/** JSON text, or the same deflated (a BLOB) for a payload of COMPRESS_FROM bytes or more. */
	data: string | ArrayBuffer;
}

/**
 * Payloads this long are stored deflated: a run's storage is its outputs (a todo list, an HTTP
 * body), which compress several times over, while small events stay readable text in SQLite.
 * Deflating later (once archived) would not shrink the database: SQLite keeps freed pages.
 */
export const COMPRESS_FROM = 1_024;

/** The archive mark's row; events are numbered from 1. */
const ARCHIVED_SEQ = 0;

function encode(data: RunEventData): string | ArrayBuffer {
	const json = JSON.stringify(data);
	if (json.length < COMPRESS_FROM) return json;
	// Level 1: as small as level 6 on JSON like ours, in less time.
	const deflated = deflateRawSync(json, { level: 1 });
	return deflated.buffer.slice(deflated.byteOffset, deflated.byteOffset + deflated.byteLength);
}

const utf8 = new TextDecoder();

function decode(data: string | ArrayBuffer): RunEventData {
	const json = typeof data === "string" ? data : utf8.decode(inflateRawSync(data));
	return JSON.parse(json) as RunEventData;
}

/**
 * The run's append-only log in the object's SQLite storage. Appends are synchronous SQL, so each
 * one is committed with the turn that made it, before any reply or next step leaves the object.
 *
 * While `hold` is on, the decoded events are also kept in memory, so the live run's readers (live
 * followers, and the archive request, which sends the whole log) neither query nor inflate.
 */
export class EventLog {
	private ready: boolean;
	private held: RunEvent[] | undefined;

	constructor(private readonly sql: SqlStorage) {
		// The table is created by the first append, so reading an object that never held a run
		// (a lookup of an unknown id) writes nothing and leaves no object behind.
		this.ready =
			sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'").toArray()
				.length > 0;
	}

	/** Keeps the events in memory from now on (true), or lets them go (false). */
	hold(on: boolean): void {
		this.held = on ? [...this.readStored(0, Number.MAX_SAFE_INTEGER)] : undefined;
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
				encode(data),
			)
			.one();
		const event = { seq: row.seq, at, data };
		this.held?.push(event);
		return event;
	}

	/**
	 * When the finished run's log went to the archive queue. It is kept at seq 0 of the events
	 * table, below every event (reads start after seq 0): a table of its own would cost a schema
	 * change and a storage page on every run.
	 */
	archivedAt(): string | undefined {
		if (!this.ready) return undefined;
		const [row] = this.sql
			.exec<{ at: string }>("SELECT at FROM events WHERE seq = ?", ARCHIVED_SEQ)
			.toArray();
		return row?.at;
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

	/** Removes the whole log (a purge that keeps other storage). */
	drop(): void {
		this.sql.exec("DROP TABLE IF EXISTS events");
		this.ready = false;
		this.held = undefined;
	}

	*read(afterSeq = 0, limit = Number.MAX_SAFE_INTEGER): Generator<RunEvent> {
		if (!this.held) {
			yield* this.readStored(afterSeq, limit);
			return;
		}
		// Seqs are consecutive, so the event after `afterSeq` sits at a known index.
		const first = this.held[0]?.seq ?? 1;
		const from = Math.max(0, afterSeq - first + 1);
		yield* this.held.slice(from, from + limit);
	}

	private *readStored(afterSeq: number, limit: number): Generator<RunEvent> {
		if (!this.ready) return;
		const rows = this.sql.exec<EventRow>(
			"SELECT seq, at, data FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
			Math.max(afterSeq, ARCHIVED_SEQ),
			limit,
		);
		for (const row of rows) yield { seq: row.seq, at: row.at, data: decode(row.data) };
	}
}
