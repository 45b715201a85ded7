/**
 * RunObject: one Durable Object per run (newUniqueId), sole writer of its event log; `state` is
 * the log's fold, rebuilt in the constructor. Every transition is appended before anything
 * depends on it, so after an eviction or a crash the object resumes from the last event and never
 * runs a succeeded step again. Alarms never overlap; the loop inside one is run-driver.ts. Control
 * calls and queue reports append what the engine decides (src/engine/run/) and nudge the alarm.
 * Whatever fails in an alarm, a live run leaves it holding another. A finished run sends its log
 * to the run-archive queue for its D1 copy, then deletes its storage after retention.
 */
import { DurableObject } from "cloudflare:workers";
import { loggerFor } from "../config";
import type { Logger } from "../engine/log";
import { ok } from "../engine/result";
import { deadLetterFailure, logLevelOf } from "../engine/run/attempt";
import {
	approveCommand,
	type CommandResult,
	cancelCommand,
	rejectCommand,
	retryCommand,
} from "../engine/run/commands";
import type { RunEvent, RunEventData } from "../engine/run/events";
import {
	type Creation,
	claimOf,
	type KeyClaim,
	type PurgedRequest,
} from "../engine/run/idempotency";
import { applyEvent, foldEvents } from "../engine/run/reducer";
import { isTerminal, type RunState, type RunView, toRunView } from "../engine/run/state";
import { deliveryDecision, deliveryFailure } from "../engine/run/tool-work";
import type { ToolResult } from "../engine/tools/types";
import { runLogFields } from "../engine/trace";
import { type Settings, settingsFor } from "../settings";
import { EventLog } from "./event-log";
import { InflightSteps } from "./inflight-steps";
import { LiveUpdates } from "./live-updates";
import {
	type ArchiveRecord,
	type ControlResult,
	RUN_TENANT_HEADER,
	type RunApi,
	type RunInit,
} from "./run-api";
import { RunArchive } from "./run-archive";
import { RunDriver } from "./run-driver";
import { runRegistry } from "./tenant-tools";

/** A keyed run's request, kept once retention purged the run (see step). */
const PURGED = "purged_request";

/** How soon a live run's alarm comes back after it failed, or ended with nothing scheduled. */
const ALARM_RETRY_MS = 5_000;

export class RunObject extends DurableObject<Env> implements RunApi {
	private log: EventLog;
	private readonly settings: Settings;
	private state: RunState | undefined;
	private readonly inflight = new InflightSteps();
	private readonly live: LiveUpdates;
	private logger: Logger;
	private alarmRun: Promise<void> | undefined;
	private readonly driver: RunDriver;
	private readonly archive: RunArchive;

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
		this.log = new EventLog(ctx.storage.sql);
		this.settings = settingsFor(env);
		const registryOf = runRegistry(this.settings);
		this.live = new LiveUpdates(ctx);
		this.archive = new RunArchive(
			ctx,
			env,
			this.settings,
			() => this.logger,
			() => this.log,
			() => this.state,
		);
		this.driver = new RunDriver({
			...{ ctx, env, settings: this.settings, inflight: this.inflight, archive: this.archive },
			registry: () => registryOf(this.state?.tools),
			current: () => this.current(),
			append: (data) => this.append(data),
			logger: () => this.logger,
		});
		this.archive.adoptLegacyMark();
		// Until its log goes to the archive, a run keeps its events in memory as well: the archive
		// request and live followers read the whole log.
		this.log.hold(this.archive.archivedAt() === undefined);
		this.state = foldEvents(this.log.read());
		this.logger = loggerFor(this.settings, runLogFields(this.state));
	}

	/**
	 * Records the run and schedules its first alarm. A repeat of the same request (same tenant and
	 * body hash) answers the run it created; anything else is a conflict.
	 */
	async create(init: RunInit): Promise<Creation> {
		const claim = this.claim(init.tenant, init.request_hash ?? null);
		if (claim.status !== "new") return claim;
		const { request_id, reused, ...created } = init;
		this.logger = loggerFor(this.settings, { ...runLogFields(init), request_id });
		this.append({ type: "run_created", ...created });
		for (const { step, output } of reused) this.append({ type: "step_reused", step, output });
		await this.ctx.storage.setAlarm(Date.now());
		return { status: "created", run: toRunView(this.current()) };
	}

	/** What this object, named by an Idempotency-Key, holds for a request with this body hash. */
	async peekKey(tenant: string, requestHash: string): Promise<KeyClaim> {
		return this.claim(tenant, requestHash);
	}

	/**
	 * The run as the API shows it, or null when this object holds no run of `tenant`. Every read
	 * and control call names its tenant: another tenant's run answers exactly like no run.
	 */
	async view(tenant: string): Promise<RunView | null> {
		const state = this.ownedBy(tenant);
		return state ? toRunView(state) : null;
	}

	/** The run for the archive consumer to write: its log only once it has finished. */
	async archiveRecord(tenant: string): Promise<ArchiveRecord | null> {
		const state = this.ownedBy(tenant);
		if (!state) return null;
		return { state, events: isTerminal(state) ? [...this.log.read()] : null };
	}

	/** Whether a run lives here and has not finished: the RateLimiter's check on a stale slot. */
	async isLive(): Promise<boolean> {
		return this.state !== undefined && !isTerminal(this.state);
	}

	/** Events after `afterSeq`, oldest first; null when this object holds no run of `tenant`. */
	async events(tenant: string, afterSeq = 0, limit = 1_000): Promise<RunEvent[] | null> {
		return this.ownedBy(tenant) ? [...this.log.read(afterSeq, limit)] : null;
	}

	/** The first event after `afterSeq`, waiting up to `timeoutMs` for it; null on timeout. */
	async nextEvent(tenant: string, afterSeq: number, timeoutMs = 30_000): Promise<RunEvent | null> {
		if (!this.ownedBy(tenant)) return null;
		const [recorded] = this.log.read(afterSeq, 1);
		return recorded ?? this.live.nextAppended(timeoutMs);
	}

	async cancel(tenant: string, compensate: boolean, reason: string | null): Promise<ControlResult> {
		return this.command(cancelCommand(this.ownedBy(tenant), compensate, reason), () =>
			this.inflight.abortAll("The run was cancelled"),
		);
	}

	/** Re-runs a failed run's failed, skipped and cancelled steps; succeeded ones stand. */
	async retry(tenant: string): Promise<ControlResult> {
		return this.command(retryCommand(this.ownedBy(tenant)), () => {
			this.archive.reopen();
			this.log.hold(true);
			this.driver.relist();
		});
	}

	async approve(tenant: string, step: number): Promise<ControlResult> {
		return this.command(approveCommand(this.ownedBy(tenant), step));
	}

	async reject(tenant: string, step: number, reason: string): Promise<ControlResult> {
		return this.command(rejectCommand(this.ownedBy(tenant), step, reason));
	}

	/**
	 * The queue consumer asks before executing a delivery: true when it carries the step's current
	 * attempt. A late or repeated delivery is refused and recorded, and the tool never runs.
	 */
	async beginDelivery(tenant: string, step: number, attempt: number): Promise<boolean> {
		return this.ownedBy(tenant) ? this.admitDelivery(step, attempt, "consumer") : false;
	}

	/** A queued attempt's result. Only the current attempt's first report counts; true if it did. */
	async reportDelivery(
		tenant: string,
		step: number,
		attempt: number,
		result: ToolResult,
		source: "consumer" | "dead_letter" = "consumer",
	): Promise<boolean> {
		if (!this.ownedBy(tenant) || !this.admitDelivery(step, attempt, source)) return false;
		await this.driver.complete(step, attempt, result);
		await this.resume();
		return true;
	}

	/** Records a delivery the consumer could not finish; the queue will redeliver or dead-letter it. */
	async noteDeliveryFailure(
		tenant: string,
		...[step, attempt, delivery, error]: [number, number, number, string]
	): Promise<void> {
		const state = this.ownedBy(tenant);
		const event = state && deliveryFailure(state, step, attempt, delivery, error);
		if (event) this.append(event);
	}

	/** The dead-letter consumer's report: the queue gave up on this attempt. */
	async deadLettered(tenant: string, step: number, attempt: number): Promise<boolean> {
		if (!this.ownedBy(tenant)) return false;
		const failure = deadLetterFailure(
			[...this.log.read()].map((event) => event.data),
			step,
			attempt,
		);
		return this.reportDelivery(tenant, step, attempt, failure, "dead_letter");
	}

	/** Called by a Bulkhead that released a slot this run was waiting for. */
	async slotFreed(): Promise<void> {
		if (!this.state || isTerminal(this.state)) return;
		await this.resume(() => this.driver.slotFreed());
	}

	/**
	 * WebSocket upgrades for live updates. The Worker has checked the run id and the upgrade, and
	 * names the authenticated tenant in RUN_TENANT_HEADER (it never forwards a client's own).
	 */
	override async fetch(request: Request): Promise<Response> {
		const state = this.ownedBy(request.headers.get(RUN_TENANT_HEADER) ?? "");
		if (!state) return new Response("No run has this id", { status: 404 });
		// The Worker validated `after`: a whole number, or absent for a fresh follower.
		const after = new URL(request.url).searchParams.get("after");
		return this.live.follow(state, after === null ? null : Number(after), (seq) => [
			...this.log.read(seq),
		]);
	}

	override async webSocketMessage(socket: WebSocket, message: string | ArrayBuffer): Promise<void> {
		this.live.heard(socket, message);
	}

	override async webSocketClose(socket: WebSocket, code: number): Promise<void> {
		this.live.left(socket, code);
	}

	override async alarm(): Promise<void> {
		// Alarms never overlap, but a direct call (runDurableObjectAlarm in tests) joins a running one.
		this.alarmRun ??= this.runAlarm().finally(() => {
			this.alarmRun = undefined;
		});
		await this.alarmRun;
	}

	/**
	 * The safety net: whatever fails in here, a live run leaves the alarm holding another alarm,
	 * so no run is ever left non-terminal with nothing scheduled.
	 */
	private async runAlarm(): Promise<void> {
		try {
			await this.step();
		} catch (error) {
			this.logger.error("alarm failed; trying again", {
				error: String(error),
				retry_in_ms: ALARM_RETRY_MS,
			});
			await this.ctx.storage.setAlarm(Date.now() + ALARM_RETRY_MS);
			return;
		}
		if (this.state && !isTerminal(this.state) && (await this.ctx.storage.getAlarm()) === null) {
			await this.ctx.storage.setAlarm(Date.now() + ALARM_RETRY_MS);
		}
	}

	private async step(): Promise<void> {
		if (!this.state) return;
		if (!isTerminal(this.state)) await this.driver.drive();
		const finished = this.current();
		if (!isTerminal(finished)) return;
		const archivedAt = this.archive.archivedAt();
		if (!archivedAt) {
			if (await this.archive.request(finished)) this.log.hold(false);
			return;
		}
		// The run's id stays its own: a keyed repeat must not create another run under it.
		const { tenant, request_hash } = finished;
		const tombstone = request_hash
			? () => this.ctx.storage.kv.put<PurgedRequest>(PURGED, { tenant, request_hash })
			: undefined;
		if (!(await this.archive.purgeIfDue(finished, archivedAt, tombstone))) return;
		this.state = undefined;
		this.log = new EventLog(this.ctx.storage.sql);
	}

	/** Lets a change take effect now: wakes the running drive, or starts one with an alarm. */
	private async resume(wake = () => this.driver.wake()): Promise<void> {
		if (!wake()) await this.ctx.storage.setAlarm(Date.now());
	}

	private admitDelivery(step: number, attempt: number, source: "consumer" | "dead_letter") {
		const decision = deliveryDecision(this.current(), step, attempt, source);
		if (decision.ok) return true;
		const { event, reason } = decision.error;
		if (event) this.append(event);
		else this.logger.warn("delivery ignored", { step, attempt, reason, source });
		return false;
	}

	private claim(tenant: string, requestHash: string | null): KeyClaim {
		const purged = this.state ? undefined : this.ctx.storage.kv.get<PurgedRequest>(PURGED);
		return claimOf(this.state, purged, tenant, requestHash);
	}

	private ownedBy(tenant: string): RunState | undefined {
		return this.state?.tenant === tenant ? this.state : undefined;
	}

	/** Appends what the engine decided, then lets it take effect now. */
	private async command(result: CommandResult, afterwards = () => {}): Promise<ControlResult> {
		if (!result.ok) return result;
		for (const event of result.value) this.append(event);
		afterwards();
		await this.resume();
		return ok(toRunView(this.current()));
	}

	private append(data: RunEventData): void {
		const event = this.log.append(data, new Date().toISOString());
		this.state = applyEvent(this.state, event);
		this.live.broadcast(event);
		this.logger[logLevelOf(data.type)](data.type, {
			seq: event.seq,
			...("step" in data ? { step: data.step } : {}),
		});
	}

	private current(): RunState {
		if (!this.state) throw new Error("RunObject holds no run");
		return this.state;
	}
}
