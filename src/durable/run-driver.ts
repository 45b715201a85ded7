/**
 * RunDriver: the execution loop of one RunObject. Within one alarm it starts every ready step at
 * once, records each result the moment it lands, starts what became ready, undoes completed
 * steps when asked, and sleeps on a later alarm when nothing is left to do now. Every decision
 * comes from src/engine/run/scheduler.ts; this class only carries them out against the object.
 */
import type { Logger } from "../engine/log";
import type { RunEventData } from "../engine/run/events";
import { compensateStep, executeStep, prepareInput } from "../engine/run/execute-step";
import { resolvePolicy } from "../engine/run/retry-policy";
import {
	INTERRUPTED,
	interruptedSteps,
	nextActions,
	recordedOutputs,
	settleAttempt,
} from "../engine/run/scheduler";
import { isTerminal, type RunState } from "../engine/run/state";
import type { ToolRegistry } from "../engine/tools/registry";
import { fail, type ToolContext, type ToolResult } from "../engine/tools/types";
import { type InflightSteps, raceUntil } from "./inflight-steps";
import type { RunArchive } from "./run-archive";
import { toolContextFor } from "./tool-context";

const WATCHDOG_MARGIN_MS = 5_000;
/** A run still live this long after starting gets its D1 row, so listings show it. */
const START_ROW_DELAY_MS = 1_000;
/** Deadlines sooner than this are waited for in the alarm; later ones get an alarm of their own. */
const IN_PROCESS_WAIT_MS = 1_000;

/** What the driver needs from its object. */
export interface RunHost {
	ctx: DurableObjectState;
	env: Env;
	registry: ToolRegistry;
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

	constructor(private readonly host: RunHost) {}

	/** Wakes a drive that is waiting, so a control call takes effect at once; false if none is. */
	wake(): boolean {
		if (!this.nudge) return false;
		this.nudge();
		return true;
	}

	async drive(): Promise<void> {
		if (!this.host.current().started_at) this.host.append({ type: "run_started" });
		this.watchdogAt = 0;
		for (const step of interruptedSteps(this.host.current(), this.host.inflight.steps())) {
			this.settle(step.step_number, step.attempts, { success: false, error: INTERRUPTED });
		}
		for (;;) {
			const actions = nextActions(this.host.current(), Date.now(), this.host.registry);
			for (const event of actions.events) this.host.append(event);
			if (isTerminal(this.host.current())) return;
			if (actions.compensate !== null) {
				await this.compensate(actions.compensate);
				continue;
			}
			for (const step of actions.start) this.launch(step);
			// Anything appended or started changes what is due next: decide again before waiting.
			if (actions.events.length > 0 || actions.start.length > 0) continue;
			const waitMs = actions.wakeAt === null ? null : actions.wakeAt - Date.now();
			if (this.host.inflight.size === 0 && (waitMs === null || waitMs > IN_PROCESS_WAIT_MS)) {
				// The run outlives this alarm: list it now. The alarm is ending, so awaiting is free.
				await this.writeStartRow();
				if (actions.wakeAt !== null) await this.host.ctx.storage.setAlarm(actions.wakeAt);
				return;
			}
			const rowDueAt = this.startRowWritten
				? null
				: Date.parse(this.host.current().started_at ?? "") + START_ROW_DELAY_MS;
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
		if (this.startRowWritten || isTerminal(this.host.current())) return;
		this.startRowWritten = true;
		await this.host.archive.writeStart(this.host.current());
	}

	/** Moves the watchdog alarm later when needed; one storage write covers many loop turns. */
	private async extendWatchdog(at: number): Promise<void> {
		if (at <= this.watchdogAt) return;
		this.watchdogAt = at + WATCHDOG_MARGIN_MS;
		await this.host.ctx.storage.setAlarm(this.watchdogAt);
	}

	private launch(stepNumber: number): void {
		const state = this.host.current();
		const planned = state.plan.steps.find((step) => step.step_number === stepNumber);
		const recorded = state.execution_log.find((step) => step.step_number === stepNumber);
		if (!planned || !recorded) return;
		const attempt = recorded.attempts + 1;
		const tool = this.host.registry.get(planned.tool);
		const prepared = prepareInput(planned.input, recordedOutputs(state));
		this.host.append({ type: "step_started", step: stepNumber, attempt, input: prepared.input });
		const sleepMs =
			tool?.sleepMs && !prepared.failure ? tool.sleepMs(tool.input.parse(prepared.input)) : null;
		if (sleepMs !== null) {
			this.host.append({
				type: "step_sleeping",
				step: stepNumber,
				until: new Date(Date.now() + sleepMs).toISOString(),
			});
			return;
		}
		this.host.inflight.start(stepNumber, async (signal) => {
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
		const state = this.host.current();
		const step = state.execution_log.find((candidate) => candidate.step_number === stepNumber);
		if (step?.status !== "running" || step.attempts !== attempt) {
			this.host.logger().warn("late result ignored", { step: stepNumber, attempt });
			return;
		}
		if (state.cancel && !result.success) {
			this.host.append({
				type: "step_cancelled",
				step: stepNumber,
				reason: "Stopped by the cancel",
			});
			return;
		}
		const budgetAttempt = attempt - step.attempts_before_retry;
		const policy = this.policyFor(step.tool);
		this.host.append(
			settleAttempt(stepNumber, attempt, budgetAttempt, result, policy, Date.now(), Math.random),
		);
	}

	private async compensate(stepNumber: number): Promise<void> {
		const step = this.host
			.current()
			.execution_log.find((candidate) => candidate.step_number === stepNumber);
		const tool = step ? this.host.registry.get(step.tool) : undefined;
		if (!step || !tool) return;
		const ctx = this.toolContext(stepNumber, step.attempts, new AbortController().signal);
		const result = await compensateStep(
			tool,
			step.input,
			step.output,
			ctx,
			this.policyFor(step.tool).timeout_ms,
		);
		this.host.append(
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
		return toolContextFor(this.host.env, this.host.current(), stepNumber, attempt, signal);
	}

	private policyFor(toolName: string) {
		return resolvePolicy(
			this.host.registry.get(toolName)?.retry,
			this.host.current().options.policy,
		);
	}

	private longestTimeout(): number {
		const running = this.host.current().execution_log.filter((step) => step.status === "running");
		return Math.max(0, ...running.map((step) => this.policyFor(step.tool).timeout_ms));
	}
}

function earliest(a: number | null, b: number | null): number | null {
	if (a === null) return b;
	return b === null ? a : Math.min(a, b);
}
