/**
 * RunObject: one Durable Object per run, created with newUniqueId, sole writer of its event log.
 *
 * State: the `events` table is the only truth; `state` is its fold, rebuilt in the constructor.
 * Every transition is appended before anything depends on it, so after an eviction or a crash the
 * object resumes from the last recorded event and never runs a succeeded step again.
 *
 * Lifecycle: the run's D1 row is written when it starts and rewritten, with the whole log, when it
 * finishes (retried until it lands). After the retention period the object deletes its storage,
 * and the Worker serves the run from D1 instead.
 *
 * Concurrency: alarms never overlap. Within one alarm every ready step runs at once; each result
 * is appended the moment it lands, then newly ready steps start in the same alarm. A step recorded
 * as running that this instance is not running died with a previous instance: its attempt counts
 * as interrupted and follows the retry policy. While steps run, a watchdog alarm stands in for
 * the handler in case the instance dies.
 */
import { DurableObject } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/d1";
import { loggerFor, registryFor, retentionMs } from "../config";
import { writeRun } from "../db/archive";
import type { Logger } from "../engine/log";
import type { Plan, RunPolicy } from "../engine/plan/model";
import type { RunEvent, RunEventData } from "../engine/run/events";
import { executeStep, prepareInput } from "../engine/run/execute-step";
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
import { fail, type ToolResult } from "../engine/tools/types";
import { EventLog } from "./event-log";
import { todoPortFor } from "./todo-port";

export interface RunInit {
	run_id: string;
	tenant: string;
	prompt: string | null;
	plan: Plan;
	policy: RunPolicy;
	request_id: string;
}

const WATCHDOG_MARGIN_MS = 5_000;
/** Retries due sooner than this are waited for in the alarm; later ones get an alarm of their own. */
const IN_PROCESS_WAIT_MS = 1_000;
const ARCHIVE_RETRY_MAX_MS = 60_000;

export class RunObject extends DurableObject<Env> {
	private log: EventLog;
	private readonly registry;
	private state: RunState | undefined;
	private readonly inflight = new Map<number, Promise<void>>();
	private archiveFailures = 0;
	private logger: Logger;
	private alarmRun: Promise<void> | undefined;
	private startRowWrite: Promise<void> | undefined;
	private readonly listeners = new Set<(event: RunEvent) => void>();

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
		this.log = new EventLog(ctx.storage.sql);
		this.registry = registryFor(env);
		this.state = foldEvents(this.log.read());
		this.logger = loggerFor(env, { run_id: this.state?.run_id });
	}

	/** Records the run and schedules its first alarm. Repeating the call returns the same run. */
	async create(init: RunInit): Promise<RunView> {
		if (!this.state) {
			this.logger = loggerFor(this.env, { run_id: init.run_id, request_id: init.request_id });
			const { request_id: _requestId, ...created } = init;
			this.append({ type: "run_created", ...created });
			await this.ctx.storage.setAlarm(Date.now());
		}
		return toRunView(this.current());
	}

	/** The run as the API shows it, or null for an object that holds no run. */
	async view(): Promise<RunView | null> {
		return this.state ? toRunView(this.state) : null;
	}

	/** Events after `afterSeq`, oldest first; null for an object that holds no run. */
	async events(afterSeq = 0, limit = 1_000): Promise<RunEvent[] | null> {
		return this.state ? [...this.log.read(afterSeq, limit)] : null;
	}

	/** The first event after `afterSeq`, waiting up to `timeoutMs` for it; null on timeout. */
	async nextEvent(afterSeq: number, timeoutMs = 30_000): Promise<RunEvent | null> {
		const [recorded] = this.log.read(afterSeq, 1);
		if (recorded) return recorded;
		return new Promise((resolve) => {
			const listener = (event: RunEvent) => {
				clearTimeout(timer);
				this.listeners.delete(listener);
				resolve(event);
			};
			const timer = setTimeout(() => {
				this.listeners.delete(listener);
				resolve(null);
			}, timeoutMs);
			this.listeners.add(listener);
		});
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
		const archivedAt = this.ctx.storage.kv.get<string>("archived_at");
		if (!archivedAt) await this.archive();
		else await this.purgeIfDue(archivedAt);
	}

	private async drive(): Promise<void> {
		if (this.current().status === "pending") {
			this.append({ type: "run_started" });
			// Listed while live; not awaited, so D1 stays off the path to the first step.
			this.startRowWrite = writeRun(drizzle(this.env.DB), this.current()).catch((error) => {
				this.logger.warn("start row write failed; the final archive will write it", {
					error: String(error),
				});
			});
		}
		for (const step of interruptedSteps(this.current(), new Set(this.inflight.keys()))) {
			const result: ToolResult = { success: false, error: INTERRUPTED };
			this.settle(step.step_number, step.attempts, result);
		}
		for (;;) {
			const actions = nextActions(this.current(), Date.now());
			for (const event of actions.events) this.append(event);
			if (isTerminal(this.current())) return;
			for (const step of actions.start) this.launch(step);
			const waitMs = actions.wakeAt === null ? null : actions.wakeAt - Date.now();
			if (this.inflight.size === 0 && (waitMs === null || waitMs > IN_PROCESS_WAIT_MS)) {
				if (actions.wakeAt !== null) await this.ctx.storage.setAlarm(actions.wakeAt);
				return;
			}
			// Taken before the next await: a step that settles meanwhile leaves `inflight`, and racing
			// an empty list would never resolve.
			const running = [...this.inflight.values()];
			const watchdog = this.longestTimeout() + (waitMs ?? 0) + WATCHDOG_MARGIN_MS;
			await this.ctx.storage.setAlarm(Date.now() + watchdog);
			await raceUntil(running, actions.wakeAt);
		}
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
		const ctx = {
			runId: state.run_id,
			tenant: state.tenant,
			stepNumber,
			attempt,
			idempotencyKey: `${state.run_id}:${stepNumber}`,
			services: { todos: todoPortFor(this.env.TODOS, state.tenant) },
		};
		const execution: Promise<ToolResult> = !tool
			? Promise.resolve(fail("unknown_tool", `Tool '${planned.tool}' is no longer registered`))
			: prepared.failure
				? Promise.resolve(prepared.failure)
				: executeStep(tool, prepared.input, ctx, this.policyFor(planned.tool).timeout_ms);
		const task = execution
			.then((result) => this.settle(stepNumber, attempt, result))
			.finally(() => this.inflight.delete(stepNumber));
		this.inflight.set(stepNumber, task);
	}

	private settle(stepNumber: number, attempt: number, result: ToolResult): void {
		const tool = this.current().plan.steps.find((step) => step.step_number === stepNumber)?.tool;
		const policy = this.policyFor(tool);
		this.append(settleAttempt(stepNumber, attempt, result, policy, Date.now(), Math.random));
	}

	/** Writes the finished run and its log to D1; on failure the alarm retries (an outbox). */
	private async archive(): Promise<void> {
		await this.startRowWrite;
		const archivedAt = new Date().toISOString();
		try {
			const events = [...this.log.read()];
			await writeRun(drizzle(this.env.DB), this.current(), { events, archivedAt });
			this.ctx.storage.kv.put("archived_at", archivedAt);
			this.archiveFailures = 0;
			await this.ctx.storage.setAlarm(Date.parse(archivedAt) + retentionMs(this.env));
			this.logger.info("run archived");
		} catch (error) {
			this.archiveFailures += 1;
			const delay = Math.min(ARCHIVE_RETRY_MAX_MS, 500 * 2 ** this.archiveFailures);
			this.logger.warn("archive failed; retrying", { error: String(error), retry_in_ms: delay });
			await this.ctx.storage.setAlarm(Date.now() + delay);
		}
	}

	/** After the retention period the run lives on in D1 only. */
	private async purgeIfDue(archivedAt: string): Promise<void> {
		const purgeAt = Date.parse(archivedAt) + retentionMs(this.env);
		if (Date.now() < purgeAt) {
			await this.ctx.storage.setAlarm(purgeAt);
			return;
		}
		await this.ctx.storage.deleteAlarm();
		await this.ctx.storage.deleteAll();
		this.state = undefined;
		this.log = new EventLog(this.ctx.storage.sql);
		this.logger.info("run purged from its object; D1 serves it now");
	}

	private append(data: RunEventData): void {
		const event = this.log.append(data, new Date().toISOString());
		this.state = applyEvent(this.state, event);
		for (const listener of this.listeners) listener(event);
		this.logger.info(data.type, { seq: event.seq, ...("step" in data ? { step: data.step } : {}) });
	}

	private current(): RunState {
		if (!this.state) throw new Error("RunObject holds no run");
		return this.state;
	}

	private policyFor(toolName: string | undefined) {
		const tool = toolName ? this.registry.get(toolName) : undefined;
		return resolvePolicy(tool?.retry, this.current().policy);
	}

	private longestTimeout(): number {
		const running = this.current().execution_log.filter((step) => step.status === "running");
		return Math.max(0, ...running.map((step) => this.policyFor(step.tool).timeout_ms));
	}
}

/** Waits for the first of the running steps to land, or for the earliest retry to fall due. */
async function raceUntil(tasks: Promise<void>[], wakeAt: number | null): Promise<void> {
	let timer: ReturnType<typeof setTimeout> | undefined;
	const due =
		wakeAt === null
			? []
			: [
					new Promise<void>(
						(resolve) => (timer = setTimeout(resolve, Math.max(0, wakeAt - Date.now()))),
					),
				];
	try {
		await Promise.race([...tasks, ...due]);
	} finally {
		if (timer !== undefined) clearTimeout(timer);
	}
}
