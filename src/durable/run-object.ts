/**
 * RunObject: one Durable Object per run, created with newUniqueId, sole writer of its event log.
 *
 * State: the `events` table is the only truth; `state` is its fold, rebuilt in the constructor.
 * Every transition is appended before anything depends on it, so after an eviction or a crash the
 * object resumes from the last recorded event and never runs a succeeded step again.
 *
 * Concurrency: alarms never overlap. Within one alarm every ready step runs at once; each result
 * is appended the moment it lands, then newly ready steps start in the same alarm. Control calls
 * (cancel, retry, approve, reject) append their event and nudge the running alarm, or set a new
 * one. A step recorded as running that this instance is not running died with a previous
 * instance: its attempt counts as interrupted. While steps run, a watchdog alarm stands in for
 * the handler in case the instance dies. Waits, approvals and far retries end the alarm and set
 * another for their deadline, holding no CPU meanwhile. The loop itself is run-driver.ts.
 *
 * Queued steps: an attempt of a queued tool leaves as a Queue message with a logged deadline;
 * the consumer calls beginDelivery and reportDelivery, and only the current attempt's first
 * report is taken (late and repeated ones are recorded as ignored). The alarm times out an
 * attempt whose deadline passes; the dead-letter consumer calls deadLettered.
 *
 * Lifecycle: the run's D1 row is written once it outlives a second, and rewritten, with the whole
 * log, when it finishes (retried until it lands). After the retention period the object deletes
 * its storage.
 */
import { DurableObject } from "cloudflare:workers";
import { loggerFor, registryFor } from "../config";
import type { Json } from "../engine/json";
import type { Logger } from "../engine/log";
import {
	approveCommand,
	type CommandResult,
	cancelCommand,
	type Refusal,
	rejectCommand,
	retryCommand,
} from "../engine/run/commands";
import type { RunEvent, RunEventData } from "../engine/run/events";
import { applyEvent, foldEvents } from "../engine/run/reducer";
import { isTerminal, type RunState, type RunView, toRunView } from "../engine/run/state";
import { deliveryVerdict } from "../engine/run/tool-work";
import { fail, type ToolResult } from "../engine/tools/types";
import { type Settings, settingsFor } from "../settings";
import { EventLog } from "./event-log";
import { InflightSteps } from "./inflight-steps";
import { LiveUpdates } from "./live-updates";
import { RunArchive } from "./run-archive";
import { RunDriver } from "./run-driver";

/** What a new run is made of: its run_created payload, plus a fork's reused outputs. */
export type RunInit = Omit<Extract<RunEventData, { type: "run_created" }>, "type"> & {
	/** Outputs a fork takes over instead of running their steps. */
	reused: Array<{ step: number; output: Json }>;
	request_id: string;
};

/** Set by the Worker on WebSocket upgrades it forwards: the authenticated tenant. */
export const RUN_TENANT_HEADER = "X-Run-Tenant";

export type ControlResult = { ok: true; run: RunView } | { ok: false; error: Refusal };

/** Caps on live followers: sockets per run, and the size of anything they send. */
const MAX_FOLLOWERS = 100;
const MAX_FOLLOWER_MESSAGE_BYTES = 1_024;
/** How soon a live run's alarm comes back after it failed, or ended with nothing scheduled. */
const ALARM_RETRY_MS = 5_000;

export class RunObject extends DurableObject<Env> {
	private log: EventLog;
	private readonly settings: Settings;
	private readonly registry;
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
		this.registry = registryFor(this.settings);
		this.live = new LiveUpdates(ctx);
		this.archive = new RunArchive(ctx, env, this.settings, () => this.logger);
		this.driver = new RunDriver({
			ctx,
			env,
			settings: this.settings,
			registry: this.registry,
			inflight: this.inflight,
			archive: this.archive,
			current: () => this.current(),
			append: (data) => this.append(data),
			logger: () => this.logger,
		});
		this.state = foldEvents(this.log.read());
		this.logger = loggerFor(this.settings, { run_id: this.state?.run_id });
	}

	/** Records the run and schedules its first alarm. Repeating the call returns the same run. */
	async create(init: RunInit): Promise<RunView> {
		if (!this.state) {
			this.logger = loggerFor(this.settings, {
				run_id: init.run_id,
				request_id: init.request_id,
			});
			const { request_id: _requestId, reused, ...created } = init;
			this.append({ type: "run_created", ...created });
			for (const { step, output } of reused) this.append({ type: "step_reused", step, output });
			await this.ctx.storage.setAlarm(Date.now());
		}
		return toRunView(this.current());
	}

	/**
	 * The run as the API shows it, or null when this object holds no run of `tenant`. Every read
	 * and control call names its tenant: another tenant's run answers exactly like no run.
	 */
	async view(tenant: string): Promise<RunView | null> {
		const state = this.ownedBy(tenant);
		return state ? toRunView(state) : null;
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
		step: number,
		attempt: number,
		delivery: number,
		error: string,
	): Promise<void> {
		if (!this.ownedBy(tenant) || deliveryVerdict(this.current(), step, attempt) !== "current")
			return;
		this.append({
			type: "step_delivery_failed",
			step,
			attempt,
			delivery,
			error: error.slice(0, 500),
		});
	}

	/** The dead-letter consumer's report: the queue gave up on this attempt. */
	async deadLettered(tenant: string, step: number, attempt: number): Promise<boolean> {
		if (!this.ownedBy(tenant)) return false;
		const failures = [...this.log.read()].flatMap((event) =>
			event.data.type === "step_delivery_failed" &&
			event.data.step === step &&
			event.data.attempt === attempt
				? [event.data]
				: [],
		);
		const last = failures.at(-1);
		const message = last
			? `The tool queue gave up on attempt ${attempt} of step ${step} after ${last.delivery} failed deliveries; the last failed with: ${last.error}`
			: `The tool queue gave up on attempt ${attempt} of step ${step}: its deliveries failed`;
		return this.reportDelivery(
			tenant,
			step,
			attempt,
			fail("dead_lettered", message),
			"dead_letter",
		);
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
		if (this.ctx.getWebSockets().length >= MAX_FOLLOWERS) {
			return new Response(`A run takes at most ${MAX_FOLLOWERS} followers`, { status: 429 });
		}
		// The Worker validated `after`: a whole number, or absent for a fresh follower.
		const after = new URL(request.url).searchParams.get("after");
		const snapshot = after === null ? { seq: state.seq, run: toRunView(state) } : null;
		const missed = after === null ? [] : [...this.log.read(Number(after))];
		return this.live.accept(snapshot, missed, isTerminal(state));
	}

	override async webSocketMessage(socket: WebSocket, message: string | ArrayBuffer): Promise<void> {
		// Followers only listen: small messages (pings) are ignored, large ones end the connection.
		const size = typeof message === "string" ? message.length : message.byteLength;
		if (size > MAX_FOLLOWER_MESSAGE_BYTES) socket.close(1009, "message too big");
	}

	override async webSocketClose(socket: WebSocket, code: number): Promise<void> {
		socket.close(code === 1005 ? 1000 : code, "follower left");
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
			const isCurrent = () => this.state?.seq === finished.seq;
			await this.archive.archive(finished, [...this.log.read()], isCurrent);
		} else if (await this.archive.purgeIfDue(archivedAt)) {
			this.state = undefined;
			this.log = new EventLog(this.ctx.storage.sql);
		}
	}

	/** Lets a change take effect now: wakes the running drive, or starts one with an alarm. */
	private async resume(wake = () => this.driver.wake()): Promise<void> {
		if (!wake()) await this.ctx.storage.setAlarm(Date.now());
	}

	private admitDelivery(
		step: number,
		attempt: number,
		source: "consumer" | "dead_letter",
	): boolean {
		const verdict = deliveryVerdict(this.current(), step, attempt);
		if (verdict === "current") return true;
		// A finished run's log is archived as it stands, so a straggler is only logged there.
		if (isTerminal(this.current())) {
			this.logger.warn("delivery ignored", { step, attempt, reason: verdict, source });
		} else this.append({ type: "step_delivery_ignored", step, attempt, reason: verdict, source });
		return false;
	}

	private ownedBy(tenant: string): RunState | undefined {
		return this.state?.tenant === tenant ? this.state : undefined;
	}

	/** Appends what the engine decided, then lets it take effect now. */
	private async command(result: CommandResult, afterwards = () => {}): Promise<ControlResult> {
		if (!result.ok) return result;
		for (const event of result.events) this.append(event);
		afterwards();
		await this.resume();
		return { ok: true, run: toRunView(this.current()) };
	}

	private append(data: RunEventData): void {
		const event = this.log.append(data, new Date().toISOString());
		this.state = applyEvent(this.state, event);
		this.live.broadcast(event);
		// One info line per run, at its end; every other event at debug.
		const level = /^run_(completed|failed|cancelled)$/.test(data.type) ? "info" : "debug";
		this.logger[level](data.type, {
			seq: event.seq,
			...("step" in data ? { step: data.step } : {}),
		});
	}

	private current(): RunState {
		if (!this.state) throw new Error("RunObject holds no run");
		return this.state;
	}
}
