import { drizzle } from "drizzle-orm/d1";

import { writeRun } from "../db/archive";
import type { Logger } from "../engine/log";
import type { RunEvent } from "../engine/run/events";
import type { RunState } from "../engine/run/state";
import { retentionMs, type Settings } from "../settings";

const ARCHIVE_RETRY_MAX_MS = 60_000;
const ARCHIVED_AT = "archived_at";

/**
 * A run's copy in D1 and its retention, for one RunObject. The archive is an outbox: the final
 * write is retried from the alarm until it lands, and only then does the retention clock start.
 */
export class RunArchive {
	private startRowWrite: Promise<void> | undefined;
	private failures = 0;

	constructor(
		private readonly ctx: DurableObjectState,
		private readonly env: Env,
		private readonly settings: Settings,
		private readonly logger: () => Logger,
	) {}

	/** When the finished run reached D1, if it has. */
	archivedAt(): string | undefined {
		return this.ctx.storage.kv.get<string>(ARCHIVED_AT);
	}

	/** A retried run finishes again and must be archived again. */
	reopen(): void {
		this.ctx.storage.kv.delete(ARCHIVED_AT);
	}

	/** Writes the live run's row so listings show it; not awaited by the caller's hot path. */
	writeStart(state: RunState): void {
		this.startRowWrite = writeRun(drizzle(this.env.DB), state).catch((error) => {
			this.logger().warn("start row write failed; the final archive writes it", {
				error: String(error),
			});
		});
	}

	/**
	 * Writes the finished run with its log, then schedules the purge, or a retry on failure. A
	 * control call (a retry) may land while D1 is written: then `isCurrent` says so, and this
	 * archive neither marks the run archived nor moves the alarm the call has set; the run
	 * archives again when it finishes again.
	 */
	async archive(
		state: RunState,
		events: readonly RunEvent[],
		isCurrent: () => boolean,
	): Promise<void> {
		await this.startRowWrite;
		const archivedAt = new Date().toISOString();
		try {
			// The tenant's live-run slot (held where keys are required) goes back first; both steps
			// are safe to repeat.
			if (state.live_slot) {
				const quota = this.env.RATE_LIMITER.get(this.env.RATE_LIMITER.idFromName(state.tenant));
				await quota.releaseRun(state.run_id);
			}
			await writeRun(drizzle(this.env.DB), state, { events, archivedAt });
			if (!isCurrent()) {
				this.logger().info("run changed while archiving; it archives again when it ends");
				return;
			}
			this.ctx.storage.kv.put(ARCHIVED_AT, archivedAt);
			this.failures = 0;
			await this.ctx.storage.setAlarm(Date.parse(archivedAt) + retentionMs(this.settings));
			this.logger().debug("run archived");
		} catch (error) {
			this.failures += 1;
			const delay = Math.min(ARCHIVE_RETRY_MAX_MS, 500 * 2 ** this.failures);
			this.logger().warn("archive failed; retrying", { error: String(error), retry_in_ms: delay });
			if (isCurrent()) await this.ctx.storage.setAlarm(Date.now() + delay);
		}
	}

	/** True once the retention period is over and the object's storage is gone. */
	async purgeIfDue(archivedAt: string): Promise<boolean> {
		const purgeAt = Date.parse(archivedAt) + retentionMs(this.settings);
		if (Date.now() < purgeAt) {
			await this.ctx.storage.setAlarm(purgeAt);
			return false;
		}
		await this.ctx.storage.deleteAlarm();
		await this.ctx.storage.deleteAll();
		this.logger().info("run purged from its object; D1 serves it now");
		return true;
	}
}
