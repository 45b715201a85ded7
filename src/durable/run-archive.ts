import { drizzle } from "drizzle-orm/d1";
import { archivedRun } from "../db/run-history";
import type { Logger } from "../engine/log";
import { archiveMessage } from "../engine/run/archive-request";
import type { RunState } from "../engine/run/state";
import { retentionMs, type Settings } from "../settings";
import type { EventLog } from "./event-log";

/** How soon a request that could not be sent, or a copy D1 does not hold yet, is tried again. */
const ARCHIVE_RESEND_MS = 60_000;
/** Where runs archived before the mark moved into the log (87ba98b) kept it. */
const LEGACY_KEYS = { archivedAt: "archived_at", requestedAt: "archive_requested_at" };

/**
 * A run's copy in D1 and its retention, for one RunObject. The object writes nothing to D1 on the
 * run's path: it sends its log to the `run-archive` queue, whose consumer folds the run from it
 * and writes many runs per D1 batch. Once the queue has the request, the object marks the run
 * handed off and the retention clock starts; the queue delivers at least once. Before the purge,
 * the object checks that D1 holds its last event, and sends the log again if not, so a message the
 * queue gave up on costs a late copy, never a lost run.
 */
export class RunArchive {
	constructor(
		private readonly ctx: DurableObjectState,
		private readonly env: Env,
		private readonly settings: Settings,
		private readonly logger: () => Logger,
		private readonly log: () => EventLog,
		private readonly current: () => RunState | undefined,
	) {}

	/** Moves a mark kept under the old KV key into the log, once, so the run is not archived twice. */
	adoptLegacyMark(): void {
		const legacy = this.ctx.storage.kv.get<string>(LEGACY_KEYS.archivedAt);
		if (legacy === undefined) return;
		if (!this.archivedAt()) this.log().markArchived(legacy);
		this.ctx.storage.kv.delete(LEGACY_KEYS.archivedAt);
		this.ctx.storage.kv.delete(LEGACY_KEYS.requestedAt);
	}

	/** When the finished run was handed to the archive queue, if it has been. */
	archivedAt(): string | undefined {
		return this.log().archivedAt();
	}

	/** A retried run finishes again and must be archived again. */
	reopen(): void {
		this.log().clearArchived();
	}

	/** Asks for the live run's row, so listings show it; never on a step's path. */
	async requestListing(state: RunState): Promise<void> {
		await this.send(state).catch((error: unknown) => {
			this.logger().warn("listing request failed; the archive writes the row", {
				error: String(error),
			});
		});
	}

	/**
	 * The finished run's archive, from its alarm: hands back the tenant's live-run slot and sends
	 * the log. True once the queue has it; otherwise the alarm comes back to send it again.
	 */
	async request(state: RunState): Promise<boolean> {
		const now = Date.now();
		try {
			// Safe to repeat: a slot is released by run id.
			if (state.live_slot) {
				const quota = this.env.RATE_LIMITER.get(this.env.RATE_LIMITER.idFromName(state.tenant));
				await quota.releaseRun(state.run_id);
			}
			await this.send(state);
		} catch (error) {
			this.logger().warn("archive request failed; retrying", { error: String(error) });
			if (this.unchanged(state)) await this.ctx.storage.setAlarm(now + ARCHIVE_RESEND_MS);
			return false;
		}
		// A retry may have landed while the request was out: that run is live again, with an
		// alarm of its own, and archives when it ends again.
		if (!this.unchanged(state)) return false;
		this.log().markArchived(new Date(now).toISOString());
		await this.ctx.storage.setAlarm(now + retentionMs(this.settings));
		return true;
	}

	/**
	 * True once the retention period is over and the object's storage is gone. `keep` writes what
	 * must outlive the run (a keyed run's tombstone) in the same transaction as the log's removal,
	 * so no crash can leave the object empty without it.
	 */
	async purgeIfDue(state: RunState, archivedAt: string, keep?: () => void): Promise<boolean> {
		const purgeAt = Date.parse(archivedAt) + retentionMs(this.settings);
		if (Date.now() < purgeAt) {
			await this.ctx.storage.setAlarm(purgeAt);
			return false;
		}
		const held = await this.heldInD1(state);
		// The check went out to D1, so a retry may have landed meanwhile: it reopened the run, and
		// nothing of it may be deleted.
		if (!this.unchanged(state) || this.archivedAt() !== archivedAt) return false;
		if (held !== "held") {
			if (held === "missing") await this.send(state).catch(() => undefined);
			await this.ctx.storage.setAlarm(Date.now() + ARCHIVE_RESEND_MS);
			return false;
		}
		await this.ctx.storage.deleteAlarm();
		if (keep) {
			this.ctx.storage.transactionSync(() => {
				this.log().drop();
				keep();
			});
		} else {
			await this.ctx.storage.deleteAll();
		}
		this.logger().info("run purged from its object; D1 serves it now");
		return true;
	}

	/** Whether D1 holds the finished run as it stands (its last event, in an archived copy). */
	private async heldInD1(state: RunState): Promise<"held" | "missing" | "unknown"> {
		try {
			const seq = (await archivedRun(drizzle(this.env.DB), state.tenant, state.run_id))?.seq;
			if (seq != null && seq >= state.seq) return "held";
			this.logger().warn("D1 lacks the run's last copy; sending it again before the purge", {
				archived_seq: seq ?? null,
			});
			return "missing";
		} catch (error) {
			this.logger().warn("could not check the run's copy in D1; purging later", {
				error: String(error),
			});
			return "unknown";
		}
	}

	/** The run is still the finished one `state` describes: no event was appended since. */
	private unchanged(state: RunState): boolean {
		return this.current()?.seq === state.seq;
	}

	private async send(state: RunState): Promise<void> {
		const body = archiveMessage(state.run_id, state.tenant, [...this.log().read()]);
		await this.env.ARCHIVE_QUEUE.send(body, { contentType: "text" });
	}
}
