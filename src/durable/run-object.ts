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
 * another for their deadline, holding no CPU meanwhile.
 *
 * Lifecycle: the run's D1 row is written when it starts and rewritten, with the whole log, when it
 * finishes (retried until it lands). After the retention period the object deletes its storage.
 */
import { DurableObject } from "cloudflare:workers";
import { loggerFor, registryFor } from "../config";
import type { Json } from "../engine/json";
import type { Logger } from "../engine/log";
import type { RunEvent, RunEventData } from "../engine/run/events";
import { compensateStep, executeStep, prepareInput } from "../engine/run/execute-step";
import { applyEvent, foldEvents } from "../engine/run/reducer";
import { resolvePolicy } from "../engine/run/retry-policy";
import {
	INTERRUPTED,
	interruptedSteps,
	nextActions,
	recordedOutputs,
	settleAttempt,
} from "../engine/run/scheduler";
import { isTerminal, type RunState, type RunView, toRunView } from "../engine/run/state";
import { fail, type ToolContext, type ToolResult } from "../engine/tools/types";
import { EventLog } from "./event-log";
import { InflightSteps, raceUntil } from "./inflight-steps";
import { LiveUpdates } from "./live-updates";
import { RunArchive } from "./run-archive";
import { toolContextFor } from "./tool-context";

/** What a new run is made of: its run_created payload, plus a fork's reused outputs. */
export type RunInit = Omit<Extract<RunEventData, { type: "run_created" }>, "type"> & {
	/** Outputs a fork takes over instead of running their steps. */
	reused: Array<{ step: number; output: Json }>;
	request_id: string;
};

/** Set by the Worker on WebSocket upgrades it forwards: the authenticated tenant. */
export const RUN_TENANT_HEADER = "X-Run-Tenant";

export type ControlResult =
	| { ok: true; run: RunView }
	| { ok: false; code: "invalid_state" | "step_not_found"; message: string; status: string };

const WATCHDOG_MARGIN_MS = 5_000;
/** Caps on live followers: sockets per run, and the size of anything they send. */
export const MAX_FOLLOWERS = 100;
const MAX_FOLLOWER_MESSAGE_BYTES = 1_024;
/** A run still live this long after starting gets its D1 row, so listings show it. */
const START_ROW_DELAY_MS = 1_000;
/** Deadlines sooner than this are waited for in the alarm; later ones get an alarm of their own. */
const IN_PROCESS_WAIT_MS = 1_000;

export class RunObject extends DurableObject<Env> {
	private log: EventLog;
	private readonly registry;
	private state: RunState | undefined;
	private readonly inflight = new InflightSteps();
	private readonly live: LiveUpdates;
	private logger: Logger;
	private alarmRun: Promise<void> | undefined;
	private nudge: (() => void) | undefined;
	private startRowWritten = false;
	private watchdogAt = 0;
	private readonly archive: RunArchive;

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
		this.log = new EventLog(ctx.storage.sql);
		this.registry = registryFor(env);
		this.live = new LiveUpdates(ctx);
		this.archive = new RunArchive(ctx, env, () => this.logger);
		this.state = foldEvents(this.log.read());
		this.logger = loggerFor(env, { run_id: this.state?.run_id });
	}

	/** Records the run and schedules its first alarm. Repeating the call returns the same run. */
	async create(init: RunInit): Promise<RunView> {
		if (!this.state) {
			this.logger = loggerFor(this.env, { run_id: init.run_id, request_id: init.request_id });
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
		return this.control(tenant, (state) => {
			if (isTerminal(state)) return `A ${state.status} run cannot be cancelled`;
			if (!state.cancel) this.append({ type: "run_cancel_requested", compensate, reason });
			this.inflight.abortAll("The run was cancelled");
		});
	}

	/** Re-runs a failed run's failed, skipped and cancelled steps; succeeded ones stand. */
	async retry(tenant: string): Promise<ControlResult> {
		return this.control(tenant, (state) => {
			if (state.status !== "failed")
				return `Only a failed run can be retried; this one is ${state.status}`;
			const steps = state.execution_log
				.filter((step) => step.status !== "succeeded")
				.map((step) => step.step_number);
			this.append({ type: "run_retried", steps });
			this.archive.reopen();
		});
	}

	async approve(tenant: string, step: number): Promise<ControlResult> {
		return this.decide(tenant, step, () => this.append({ type: "step_approved", step }));
	}

	async reject(tenant: string, step: number, reason: string): Promise<ControlResult> {
		return this.decide(tenant, step, () => this.append({ type: "step_rejected", step, reason }));
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
		const after = Number(new URL(request.url).searchParams.get("after") ?? state.seq);
		const missed = [...this.log.read(Math.min(after, state.seq))];
		return this.live.accept({ ...toRunView(state), seq: state.seq }, missed, isTerminal(state));
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

	private async runAlarm(): Promise<void> {
		if (!this.state) return;
		if (!isTerminal(this.state)) await this.drive();
		if (!isTerminal(this.current())) return;
		const archivedAt = this.archive.archivedAt();
		if (!archivedAt) await this.archive.archive(this.current(), [...this.log.read()]);
		else if (await this.archive.purgeIfDue(archivedAt)) {
			this.state = undefined;
			this.log = new EventLog(this.ctx.storage.sql);
		}
	}

	private async drive(): Promise<void> {
		if (!this.current().started_at) this.append({ type: "run_started" });
		this.watchdogAt = 0;
		for (const step of interruptedSteps(this.current(), this.inflight.steps())) {
			this.settle(step.step_number, step.attempts, { success: false, error: INTERRUPTED });
		}
		for (;;) {
			const actions = nextActions(this.current(), Date.now(), this.registry);
			for (const event of actions.events) this.append(event);
			if (isTerminal(this.current())) return;
			if (actions.compensate !== null) {
				await this.compensate(actions.compensate);
				continue;
			}
			for (const step of actions.start) this.launch(step);
			// Anything appended or started changes what is due next: decide again before waiting.
			if (actions.events.length > 0 || actions.start.length > 0) continue;
			const waitMs = actions.wakeAt === null ? null : actions.wakeAt - Date.now();
			if (this.inflight.size === 0 && (waitMs === null || waitMs > IN_PROCESS_WAIT_MS)) {
				// The run outlives this alarm: list it now. The alarm is ending, so awaiting is free.
				await this.writeStartRow();
				if (actions.wakeAt !== null) await this.ctx.storage.setAlarm(actions.wakeAt);
				return;
			}
			const rowDueAt = this.startRowWritten
				? null
				: Date.parse(this.current().started_at ?? "") + START_ROW_DELAY_MS;
			// Not awaited: steps are running, and D1 stays off their path.
			if (rowDueAt !== null && Date.now() >= rowDueAt) void this.writeStartRow();
			// Taken before the next await: a step that settles meanwhile leaves `inflight`.
			const running = this.inflight.tasks();
			const nudged = new Promise<void>((resolve) => {
				this.nudge = resolve;
			});
			await this.extendWatchdog(
				Date.now() + this.longestTimeout() + (waitMs ?? 0) + WATCHDOG_MARGIN_MS,
			);
			await raceUntil(
				[...running, nudged],
				earliest(actions.wakeAt, this.startRowWritten ? null : rowDueAt),
			);
			this.nudge = undefined;
		}
	}

	/**
	 * Lists a run that outlives its first second (or waits on a later alarm) in D1. Runs that end
	 * sooner are written once, by the archive, which halves D1 writes for the common case.
	 */
	private async writeStartRow(): Promise<void> {
		if (this.startRowWritten || isTerminal(this.current())) return;
		this.startRowWritten = true;
		await this.archive.writeStart(this.current());
	}

	/** Moves the watchdog alarm later when needed; one storage write covers many loop turns. */
	private async extendWatchdog(at: number): Promise<void> {
		if (at <= this.watchdogAt) return;
		this.watchdogAt = at + WATCHDOG_MARGIN_MS;
		await this.ctx.storage.setAlarm(this.watchdogAt);
	}

	private launch(stepNumber: number): void {
		const state = this.current();
		const planned = state.plan.steps.find((step) => step.step_number === stepNumber);
		const recorded = state.execution_log.find((step) => step.step_number === stepNumber);
		if (!planned || !recorded) return;
		const attempt = recorded.attempts + 1;
		const tool = this.registry.get(planned.tool);
		const prepared = prepareInput(planned.input, recordedOutputs(state));
		this.append({ type: "step_started", step: stepNumber, attempt, input: prepared.input });
		const sleepMs =
			tool?.sleepMs && !prepared.failure ? tool.sleepMs(tool.input.parse(prepared.input)) : null;
		if (sleepMs !== null) {
			this.append({
				type: "step_sleeping",
				step: stepNumber,
				until: new Date(Date.now() + sleepMs).toISOString(),
			});
			return;
		}
		this.inflight.start(stepNumber, async (signal) => {
			const result = !tool
				? fail("unknown_tool", `Tool '${planned.tool}' is no longer registered`)
				: (prepared.failure ??
					(await executeStep(
						tool,
						prepared.input,
						this.toolContext(stepNumber, attempt, signal),
						this.policyFor(planned.tool).timeout_ms,
					)));
			this.settle(stepNumber, attempt, result);
		});
	}

	/** Records an attempt's result, unless it is late: only the current attempt of a running step counts. */
	private settle(stepNumber: number, attempt: number, result: ToolResult): void {
		const state = this.current();
		const step = state.execution_log.find((candidate) => candidate.step_number === stepNumber);
		if (step?.status !== "running" || step.attempts !== attempt) {
			this.logger.warn("late result ignored", { step: stepNumber, attempt });
			return;
		}
		if (state.cancel && !result.success) {
			this.append({ type: "step_cancelled", step: stepNumber, reason: "Stopped by the cancel" });
			return;
		}
		const budgetAttempt = attempt - step.attempts_before_retry;
		const policy = this.policyFor(step.tool);
		this.append(
			settleAttempt(stepNumber, attempt, budgetAttempt, result, policy, Date.now(), Math.random),
		);
	}

	private async compensate(stepNumber: number): Promise<void> {
		const step = this.current().execution_log.find(
			(candidate) => candidate.step_number === stepNumber,
		);
		const tool = step ? this.registry.get(step.tool) : undefined;
		if (!step || !tool) return;
		const ctx = this.toolContext(stepNumber, step.attempts, new AbortController().signal);
		const result = await compensateStep(
			tool,
			step.input,
			step.output,
			ctx,
			this.policyFor(step.tool).timeout_ms,
		);
		this.append(
			result.success
				? { type: "step_compensated", step: stepNumber, output: result.output }
				: {
						type: "step_compensation_failed",
						step: stepNumber,
						error: { code: result.error.code, message: result.error.message },
					},
		);
	}

	private toolContext(stepNumber: number, attempt: number, signal: AbortSignal): ToolContext {
		return toolContextFor(this.env, this.current(), stepNumber, attempt, signal);
	}

	/** Applies a control call's change, then wakes the alarm; a returned string is a refusal. */
	private ownedBy(tenant: string): RunState | undefined {
		return this.state?.tenant === tenant ? this.state : undefined;
	}

	private async control(
		tenant: string,
		change: (state: RunState) => string | undefined,
	): Promise<ControlResult> {
		const state = this.ownedBy(tenant);
		if (!state)
			return {
				ok: false,
				code: "step_not_found",
				message: "No run has this id",
				status: "unknown",
			};
		const refusal = change(state);
		if (refusal)
			return { ok: false, code: "invalid_state", message: refusal, status: state.status };
		if (this.nudge) this.nudge();
		else await this.ctx.storage.setAlarm(Date.now());
		return { ok: true, run: toRunView(this.current()) };
	}

	private decide(tenant: string, stepNumber: number, record: () => void): Promise<ControlResult> {
		return this.control(tenant, (state) => {
			const step = state.execution_log.find((candidate) => candidate.step_number === stepNumber);
			if (!step) return `Step ${stepNumber} is not in the plan`;
			if (step.approval?.status !== "requested")
				return `Step ${stepNumber} is not awaiting approval`;
			record();
		});
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

	private policyFor(toolName: string) {
		return resolvePolicy(this.registry.get(toolName)?.retry, this.current().options.policy);
	}

	private longestTimeout(): number {
		const running = this.current().execution_log.filter((step) => step.status === "running");
		return Math.max(0, ...running.map((step) => this.policyFor(step.tool).timeout_ms));
	}
}

function earliest(a: number | null, b: number | null): number | null {
	if (a === null) return b;
	return b === null ? a : Math.min(a, b);
}
