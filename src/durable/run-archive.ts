import type { Logger } from "../engine/log";
import type { ArchiveRequest } from "../engine/run/archive-request";
import type { RunState } from "../engine/run/state";
import { retentionMs, type Settings } from "../settings";
import type { EventLog } from "./event-log";

/** The consumer confirms within this, or the request goes out again. */
const ARCHIVE_RESEND_MS = 60_000;
/** Where runs archived before the mark moved into the log (87ba98b) kept it. */
const LEGACY_KEYS = { archivedAt: "archived_at", requestedAt: "archive_requested_at" };

/**
 * A run's copy in D1 and its retention, for one RunObject. The object writes nothing to D1
 * itself: it asks the `run-archive` queue, whose consumer reads the run back over RPC, writes
 * many runs per D1 batch and confirms each (RunObject.archived). The request is an outbox: it
 * goes out again until a confirmation for the run as it stands arrives, and only then does the
 * retention clock start.
 */
export class RunArchive {
	constructor(
		private readonly ctx: DurableObjectState,
		private readonly env: Env,
		private readonly settings: Settings,
		private readonly logger: () => Logger,
		private readonly log: () => EventLog,
	) {}

	/**
	 * When the last request went out. Memory is enough: an evicted object asks again, and the
	 * consumer writes a run idempotently; a stored timestamp cost a write and a table per run.
	 */
	private requestedAt = 0;

	/** Moves a mark kept under the old KV key into the log, once, so the run is not archived twice. */
	adoptLegacyMark(): void {
		const legacy = this.ctx.storage.kv.get<string>(LEGACY_KEYS.archivedAt);
		if (legacy === undefined) return;
		if (!this.archivedAt()) this.log().markArchived(legacy);
		this.ctx.storage.kv.delete(LEGACY_KEYS.archivedAt);
		this.ctx.storage.kv.delete(LEGACY_KEYS.requestedAt);
	}

	/** When the finished run reached D1, if it has. */
	archivedAt(): string | undefined {
		return this.log().archivedAt();
	}

	/** A retried run finishes again and must be archived again. */
	reopen(): void {
		this.log().clearArchived();
		this.requestedAt = 0;
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
	 * The finished run's archive, from its alarm: hands back the tenant's live-run slot, asks the
	 * queue (unless a request is still fresh), and comes back to ask again if no confirmation
	 * arrives.
	 */
	async request(state: RunState): Promise<void> {
		const requestedAt = this.requestedAt;
		const now = Date.now();
		if (now < requestedAt + ARCHIVE_RESEND_MS) {
			await this.ctx.storage.setAlarm(requestedAt + ARCHIVE_RESEND_MS);
			return;
		}
		try {
			// Safe to repeat: a slot is released by run id.
			if (state.live_slot) {
				const quota = this.env.RATE_LIMITER.get(this.env.RATE_LIMITER.idFromName(state.tenant));
				await quota.releaseRun(state.run_id);
			}
			await this.send(state);
			this.requestedAt = now;
		} catch (error) {
			this.logger().warn("archive request failed; retrying", { error: String(error) });
		}
		await this.ctx.storage.setAlarm(now + ARCHIVE_RESEND_MS);
	}

	/**
	 * The consumer wrote the run as it stood at `seq`. Only a confirmation of the run as it stands
	 * now counts: a retry that landed meanwhile makes it stale, and the run archives again when
	 * it ends again.
	 */
	async confirm(state: RunState, seq: number, archivedAt: string): Promise<boolean> {
		if (seq !== state.seq || this.archivedAt()) return this.archivedAt() !== undefined;
		this.log().markArchived(archivedAt);
		await this.ctx.storage.setAlarm(Date.parse(archivedAt) + retentionMs(this.settings));
		this.logger().debug("run archived");
		return true;
	}

	/**
	 * True once the retention period is over and the object's storage is gone. `keep` writes what
	 * must outlive the run (a keyed run's tombstone) in the same transaction as the log's removal,
	 * so no crash can leave the object empty without it.
	 */
	async purgeIfDue(archivedAt: string, keep?: () => void): Promise<boolean> {
		const purgeAt = Date.parse(archivedAt) + retentionMs(this.settings);
		if (Date.now() < purgeAt) {
			await this.ctx.storage.setAlarm(purgeAt);
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

	private async send(state: RunState): Promise<void> {
		const request: ArchiveRequest = { run_id: state.run_id, tenant: state.tenant };
		await this.env.ARCHIVE_QUEUE.send(request, { contentType: "json" });
	}
}
