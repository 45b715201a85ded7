/**
 * RunDriver: the execution loop of one RunObject. Within one alarm it asks the scheduler what to
 * do, appends the events it names, has the AttemptRunner start every ready step at once, and waits
 * for the first result, a control call or the next deadline; then asks again. When nothing is
 * left to do now it sleeps on a later alarm. Every decision is the engine's
 * (src/engine/run/scheduler.ts and attempt.ts); this class only keeps time and storage.
 */
import type { Logger } from "../engine/log";
import { expiredAttempt, policyFor, stepOf } from "../engine/run/attempt";
import type { RunEventData } from "../engine/run/events";
import { INTERRUPTED, interruptedSteps, nextActions } from "../engine/run/scheduler";
import { isTerminal, type RunState } from "../engine/run/state";
import type { ToolRegistry } from "../engine/tools/registry";
import type { ToolResult } from "../engine/tools/types";
import type { Settings } from "../settings";
import { planningRound } from "./agent-rounds";
import { AttemptRunner } from "./attempt-runner";
import { type InflightSteps, raceUntil } from "./inflight-steps";
import type { RunArchive } from "./run-archive";

const WATCHDOG_MARGIN_MS = 5_000;
/** A run still live this long after starting gets its D1 row, so listings show it. */
const START_ROW_DELAY_MS = 1_000;
/** Deadlines sooner than this are waited for in the alarm; later ones get an alarm of their own. */
const IN_PROCESS_WAIT_MS = 1_000;

/** What the driver needs from its object. */
export interface RunHost {
	ctx: DurableObjectState;
	env: Env;
	settings: Settings;
	/** The run's tools: the deployment's, plus the tenant tools its plan recorded. */
	registry: () => ToolRegistry;
	inflight: InflightSteps;
	archive: RunArchive;
	current(): RunState;
	append(data: RunEventData): void;
	logger(): Logger;
}

export class RunDriver {
	private nudge: (() => void) | undefined;
	private startRowWritten = false;
	private watchdogAt = 0;
	private readonly attempts: AttemptRunner;

	constructor(private readonly host: RunHost) {
		this.attempts = new AttemptRunner(host);
	}

	/** A bulkhead freed a slot: held steps ask again now rather than at their next poll. */
	slotFreed(): boolean {
		this.attempts.holds.clear();
		return this.wake();
	}

	/** A retried run is live again: its D1 row is rewritten as running once it outlives a second. */
	relist(): void {
		this.startRowWritten = false;
	}

	/** Wakes a drive that is waiting, so a control call takes effect at once; false if none is. */
	wake(): boolean {
		if (!this.nudge) return false;
		this.nudge();
		return true;
	}

	/** A queued attempt's report: recorded, breaker told, slots freed. */
	complete(step: number, attempt: number, result: ToolResult): Promise<void> {
		return this.attempts.complete(step, attempt, result);
	}

	async drive(): Promise<void> {
		if (!this.host.current().started_at) this.host.append({ type: "run_started" });
		this.watchdogAt = 0;
		for (const step of interruptedSteps(this.host.current(), this.host.inflight.steps())) {
			this.attempts.record(step.step_number, step.attempts, { ok: false, error: INTERRUPTED });
		}
		for (;;) {
			const actions = nextActions(this.host.current(), Date.now(), this.host.registry());
			for (const event of actions.events) await this.attempts.appendScheduled(event);
			if (isTerminal(this.host.current())) return;
			for (const { step, attempt } of actions.expired) {
				const recorded = stepOf(this.host.current(), step);
				if (recorded) await this.complete(step, attempt, expiredAttempt(recorded));
			}
			if (actions.compensate !== null) {
				await this.attempts.compensate(actions.compensate);
				continue;
			}
			if (actions.replan) {
				const { env, settings } = this.host;
				const state = this.host.current();
				const events = await planningRound(
					env,
					settings,
					this.host.logger(),
					state,
					this.host.registry(),
				);
				for (const event of events) this.host.append(event);
				continue;
			}
			// A held step the scheduler no longer offers (skipped, cancelled) must not keep waking us.
			for (const step of this.attempts.holds.keys()) {
				if (!actions.start.includes(step)) this.attempts.holds.delete(step);
			}
			const launched = await Promise.all(actions.start.map((step) => this.attempts.launch(step)));
			// Anything appended or started changes what is due next: decide again before waiting.
			if (actions.events.length + actions.expired.length > 0 || launched.includes(true)) continue;
			const wakeAt = earliest(actions.wakeAt, this.nextHeldPoll());
			const waitMs = wakeAt === null ? null : wakeAt - Date.now();
			if (this.host.inflight.size === 0 && (waitMs === null || waitMs > IN_PROCESS_WAIT_MS)) {
				// The run outlives this alarm: list it now. The alarm is ending, so awaiting is free.
				await this.writeStartRow();
				if (wakeAt !== null) await this.host.ctx.storage.setAlarm(wakeAt);
				return;
			}
			await this.waitFor(wakeAt, waitMs);
		}
	}

	/** Waits for a running step, a nudge, the next deadline or the start row's moment. */
	private async waitFor(wakeAt: number | null, waitMs: number | null): Promise<void> {
		const startedAt = Date.parse(this.host.current().started_at ?? "");
		const rowDueAt = this.startRowWritten ? null : startedAt + START_ROW_DELAY_MS;
		// Not awaited: steps are running, and D1 stays off their path.
		if (rowDueAt !== null && Date.now() >= rowDueAt) void this.writeStartRow();
		// Taken before the next await: a step that settles meanwhile leaves `inflight`.
		const running = this.host.inflight.tasks();
		const nudged = new Promise<void>((resolve) => {
			this.nudge = resolve;
		});
		await this.extendWatchdog(
			Date.now() + this.longestTimeout() + (waitMs ?? 0) + WATCHDOG_MARGIN_MS,
		);
		await raceUntil([...running, nudged], earliest(wakeAt, this.startRowWritten ? null : rowDueAt));
		this.nudge = undefined;
	}

	/**
	 * Lists a run that outlives its first second (or waits on a later alarm) in D1. Runs that end
	 * sooner are written once, by the archive, which halves D1 writes for the common case.
	 */
	private async writeStartRow(): Promise<void> {
		if (this.startRowWritten || isTerminal(this.host.current())) return;
		this.startRowWritten = true;
		await this.host.archive.requestListing(this.host.current());
	}

	/** Moves the watchdog alarm later when needed; one storage write covers many loop turns. */
	private async extendWatchdog(at: number): Promise<void> {
		if (at <= this.watchdogAt) return;
		this.watchdogAt = at + WATCHDOG_MARGIN_MS;
		await this.host.ctx.storage.setAlarm(this.watchdogAt);
	}

	private nextHeldPoll(): number | null {
		const holds = [...this.attempts.holds.values()];
		return holds.length === 0 ? null : Math.min(...holds);
	}

	private longestTimeout(): number {
		const state = this.host.current();
		const running = state.execution_log.filter((step) => step.status === "running");
		const timeouts = running.map(
			(step) => policyFor(state, this.host.registry(), step.tool).timeout_ms,
		);
		return Math.max(0, ...timeouts);
	}
}

function earliest(a: number | null, b: number | null): number | null {
	if (a === null) return b;
	return b === null ? a : Math.min(a, b);
}
