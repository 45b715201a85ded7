/**
 * RunDriver: the execution loop of one RunObject. Within one alarm it starts every ready step at
 * once, records each result the moment it lands, starts what became ready, undoes completed
 * steps when asked, and sleeps on a later alarm when nothing is left to do now. Every decision
 * comes from src/engine/run/scheduler.ts; this class only carries them out against the object.
 */
import type { Json } from "../engine/json";
import type { Logger } from "../engine/log";
import { resolvePolicy } from "../engine/resilience/retry-policy";
import { deferForOpenBreaker } from "../engine/run/attempt";
import { effectKey } from "../engine/run/effect-key";
import type { RunEventData } from "../engine/run/events";
import { checkInput, compensateStep, executeStep, prepareInput } from "../engine/run/execute-step";
import {
	INTERRUPTED,
	interruptedSteps,
	nextActions,
	recordedOutputs,
	settleAttempt,
} from "../engine/run/scheduler";
import { isTerminal, type RunState } from "../engine/run/state";
import { toolWorkFor } from "../engine/run/tool-work";
import type { ToolRegistry } from "../engine/tools/registry";
import { fail, type Tool, type ToolContext, type ToolResult } from "../engine/tools/types";
import type { Settings } from "../settings";
import { type InflightSteps, raceUntil } from "./inflight-steps";
import type { RunArchive } from "./run-archive";
import { type GatedAttempt, StepGate } from "./step-gate";
import { toolContextFor } from "./tool-context";

const WATCHDOG_MARGIN_MS = 5_000;
/** A run still live this long after starting gets its D1 row, so listings show it. */
const START_ROW_DELAY_MS = 1_000;
/** Deadlines sooner than this are waited for in the alarm; later ones get an alarm of their own. */
const IN_PROCESS_WAIT_MS = 1_000;
/**
 * How often a step held by a full bulkhead asks again, in case no release wakes it (a slot
 * that frees by expiring wakes nobody).
 */
const BULKHEAD_POLL_MS = 1_000;
/** A queued attempt's bulkhead slots outlive its deadline by this much, then free themselves. */
const SLOT_MARGIN_MS = 5_000;

/** What the driver needs from its object. */
export interface RunHost {
	ctx: DurableObjectState;
	env: Env;
	settings: Settings;
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
	/** Steps a full bulkhead turned away, and when to ask again. */
	private readonly heldUntil = new Map<number, number>();
	private readonly gate: StepGate;

	constructor(private readonly host: RunHost) {
		this.gate = new StepGate(host.env, host.settings, () => host.logger());
	}

	/** A bulkhead freed a slot: held steps ask again now rather than at their next poll. */
	slotFreed(): boolean {
		this.heldUntil.clear();
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

	async drive(): Promise<void> {
		if (!this.host.current().started_at) this.host.append({ type: "run_started" });
		this.watchdogAt = 0;
		for (const step of interruptedSteps(this.host.current(), this.host.inflight.steps())) {
			this.settle(step.step_number, step.attempts, { success: false, error: INTERRUPTED });
		}
		for (;;) {
			const actions = nextActions(this.host.current(), Date.now(), this.host.registry);
			for (const event of actions.events) await this.appendScheduled(event);
			if (isTerminal(this.host.current())) return;
			for (const { step, attempt } of actions.expired) {
				const deadline = this.stepState(step)?.deadline_at;
				const message = `No report from the queue consumer by the deadline (${deadline})`;
				await this.complete(step, attempt, fail("timeout", message, true));
			}
			if (actions.compensate !== null) {
				await this.compensate(actions.compensate);
				continue;
			}
			// A held step the scheduler no longer offers (skipped, cancelled) must not keep waking us.
			for (const step of this.heldUntil.keys()) {
				if (!actions.start.includes(step)) this.heldUntil.delete(step);
			}
			const launched = await Promise.all(actions.start.map((step) => this.launch(step)));
			// Anything appended or started changes what is due next: decide again before waiting.
			const changed = actions.events.length + actions.expired.length > 0 || launched.includes(true);
			if (changed) continue;
			actions.wakeAt = earliest(actions.wakeAt, this.nextBulkheadPoll());
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

	/**
	 * Starts one attempt of a step: a durable sleep, an inline execution, or a message on the tool
	 * queue. A queued step first takes its bulkhead slots (or waits, ready); every step then asks
	 * its tool's breaker, and an open breaker puts the step off to the end of the cool-down
	 * without spending an attempt. Returns whether anything was recorded.
	 */
	private async launch(stepNumber: number): Promise<boolean> {
		if ((this.heldUntil.get(stepNumber) ?? 0) > Date.now()) return false;
		this.heldUntil.delete(stepNumber);
		const state = this.host.current();
		const planned = state.plan.steps.find((step) => step.step_number === stepNumber);
		const recorded = this.stepState(stepNumber);
		if (!planned || !recorded) return false;
		const attempt = recorded.attempts + 1;
		const tool = this.host.registry.get(planned.tool);
		const prepared = prepareInput(planned.input, recordedOutputs(state));
		if (!tool) {
			const gone = fail("unknown_tool", `Tool '${planned.tool}' is no longer registered`);
			return this.failAtStart(stepNumber, attempt, prepared.input, gone);
		}
		const failure = prepared.failure ?? checkInput(tool, prepared.input);
		if (failure) return this.failAtStart(stepNumber, attempt, prepared.input, failure);
		if (tool.sleepMs) {
			const sleepMs = tool.sleepMs(tool.input.parse(prepared.input));
			this.host.append({ type: "step_started", step: stepNumber, attempt, input: prepared.input });
			const until = new Date(Date.now() + sleepMs).toISOString();
			this.host.append({ type: "step_sleeping", step: stepNumber, until });
			return true;
		}
		const queued = tool.execution === "queued";
		const gated = this.gated(stepNumber, attempt, tool.name, queued);
		const deadline =
			Date.now() + this.policyFor(tool.name).timeout_ms + this.host.settings.QUEUE_DELIVERY_MS;
		const verdict = await this.gate.enter(gated, deadline - Date.now() + SLOT_MARGIN_MS);
		if (verdict.kind === "full") {
			this.heldUntil.set(stepNumber, Date.now() + BULKHEAD_POLL_MS);
			if (this.stepState(stepNumber)?.waiting_for === verdict.reason) return false;
			this.host.append({ type: "step_waiting", step: stepNumber, reason: verdict.reason });
			return true;
		}
		// A cancel or failure may have landed during the awaits: then the scheduler decides again.
		if (!this.stillStartable(stepNumber, attempt)) {
			await this.gate.leave(gated, null);
			return true;
		}
		if (verdict.kind === "open") {
			const step = this.stepState(stepNumber);
			if (step) this.host.append(deferForOpenBreaker(step, verdict.retryAt, Date.now()));
			return true;
		}
		this.host.append({ type: "step_started", step: stepNumber, attempt, input: prepared.input });
		if (verdict.kind === "unavailable") {
			this.settle(stepNumber, attempt, fail("gate_unavailable", verdict.message, true));
			return true;
		}
		if (queued) await this.enqueue(tool, stepNumber, attempt, prepared.input, deadline);
		else this.runInline(tool, stepNumber, attempt, prepared.input);
		return true;
	}

	/** An attempt whose input is unusable fails without reaching its tool or its tool's gate. */
	private failAtStart(step: number, attempt: number, input: Json, failure: ToolResult): true {
		this.host.append({ type: "step_started", step, attempt, input });
		this.settle(step, attempt, failure);
		return true;
	}

	private runInline(tool: Tool, stepNumber: number, attempt: number, input: Json): void {
		this.host.inflight.start(stepNumber, async (signal) => {
			let result: ToolResult;
			try {
				const ctx = this.toolContext(stepNumber, attempt, signal);
				result = await executeStep(tool, input, ctx, this.policyFor(tool.name).timeout_ms);
			} catch (error) {
				result = fail("tool_error", error instanceof Error ? error.message : String(error), true);
			}
			await this.complete(stepNumber, attempt, result);
		});
	}

	/**
	 * Hands an attempt to the queue consumer. The deadline is logged before the message is sent,
	 * so a crash in between costs one timed-out attempt, never a step stuck running.
	 */
	private async enqueue(
		tool: Tool,
		stepNumber: number,
		attempt: number,
		input: Json,
		deadline: number,
	): Promise<void> {
		const state = this.host.current();
		this.host.append({
			type: "step_queued",
			step: stepNumber,
			attempt,
			deadline: new Date(deadline).toISOString(),
		});
		const built = toolWorkFor(state, {
			step_number: stepNumber,
			effect_generation: this.stepState(stepNumber)?.effect_generation ?? 0,
			attempt,
			tool: tool.name,
			input,
			timeout_ms: this.policyFor(tool.name).timeout_ms,
		});
		if ("failure" in built) {
			await this.complete(stepNumber, attempt, built.failure);
			return;
		}
		try {
			await this.host.env.TOOL_QUEUE.send(built.work, { contentType: "json" });
		} catch (error) {
			const message = `The tool queue refused the message: ${String(error)}`;
			await this.complete(stepNumber, attempt, fail("queue_unavailable", message, true));
		}
	}

	/**
	 * Records the result of an attempt, then tells its tool's breaker and frees its bulkhead
	 * slots. A result for an attempt that is no longer current changes nothing.
	 */
	async complete(stepNumber: number, attempt: number, result: ToolResult): Promise<void> {
		const step = this.stepState(stepNumber);
		const queued = Boolean(step?.deadline_at);
		if (!step || !this.settle(stepNumber, attempt, result)) return;
		await this.gate.leave(this.gated(stepNumber, attempt, step.tool, queued), result);
	}

	/** Appends a scheduler event; a queued attempt cancelled by it gives its slots back. */
	private async appendScheduled(event: RunEventData): Promise<void> {
		const before = "step" in event ? this.stepState(event.step) : undefined;
		this.host.append(event);
		if (event.type === "step_cancelled" && before?.status === "running" && before.deadline_at) {
			await this.gate.leave(this.gated(event.step, before.attempts, before.tool, true), null);
		}
	}

	private gated(step: number, attempt: number, tool: string, queued: boolean): GatedAttempt {
		const { run_id: runId, tenant } = this.host.current();
		return { runId, tenant, tool, step, attempt, queued };
	}

	private stillStartable(stepNumber: number, attempt: number): boolean {
		const state = this.host.current();
		const step = this.stepState(stepNumber);
		const failed = state.execution_log.some((candidate) => candidate.status === "failed");
		return (
			!state.cancel &&
			!failed &&
			!isTerminal(state) &&
			step?.attempts === attempt - 1 &&
			["pending", "ready", "retry_scheduled"].includes(step.status)
		);
	}

	private nextBulkheadPoll(): number | null {
		return this.heldUntil.size === 0 ? null : Math.min(...this.heldUntil.values());
	}

	private stepState(stepNumber: number) {
		return this.host.current().execution_log.find((step) => step.step_number === stepNumber);
	}

	/**
	 * Records an attempt's result, unless it is late: only the current attempt of a running step
	 * counts. Returns whether it was recorded.
	 */
	private settle(stepNumber: number, attempt: number, result: ToolResult): boolean {
		const state = this.host.current();
		const step = state.execution_log.find((candidate) => candidate.step_number === stepNumber);
		if (step?.status !== "running" || step.attempts !== attempt) {
			this.host.logger().warn("late result ignored", { step: stepNumber, attempt });
			return false;
		}
		if (state.cancel && !result.success) {
			this.host.append({
				type: "step_cancelled",
				step: stepNumber,
				reason: "Stopped by the cancel",
			});
			return true;
		}
		const budgetAttempt = attempt - step.attempts_before_retry;
		const policy = this.policyFor(step.tool);
		this.host.append(
			settleAttempt(stepNumber, attempt, budgetAttempt, result, policy, Date.now(), Math.random),
		);
		return true;
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
		const state = this.host.current();
		const step = this.stepState(stepNumber);
		const idempotencyKey = effectKey(state.run_id, {
			step_number: stepNumber,
			effect_generation: step?.effect_generation ?? 0,
		});
		return toolContextFor(
			this.host.env,
			this.host.settings,
			state,
			{ stepNumber, attempt, idempotencyKey },
			signal,
		);
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
