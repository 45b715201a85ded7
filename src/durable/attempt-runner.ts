/**
 * AttemptRunner: carries out attempts of a run's steps as src/engine/run/attempt.ts decides them.
 * It asks a step's gate (bulkheads, breaker), runs the tool inline or hands it to the tool queue,
 * records each result, gives the gate back, and undoes a step when the scheduler asks. It holds
 * one piece of state of its own: the steps a full bulkhead turned away, and when to ask again.
 */
import type { Json } from "../engine/json";
import type { Logger } from "../engine/log";
import {
	afterGate,
	compensationEvent,
	policyFor,
	settleResult,
	startAttempt,
	stepOf,
} from "../engine/run/attempt";
import { effectKey } from "../engine/run/effect-key";
import type { RunEventData } from "../engine/run/events";
import { compensateStep, executeStep } from "../engine/run/execute-step";
import type { RunState } from "../engine/run/state";
import { queueAttempt } from "../engine/run/tool-work";
import type { ToolRegistry } from "../engine/tools/registry";
import { fail, type Tool, type ToolContext, type ToolResult } from "../engine/tools/types";
import { attemptSpan, formatTraceparent, spanRecord } from "../engine/trace";
import type { Settings } from "../settings";
import type { InflightSteps } from "./inflight-steps";
import { type GatedAttempt, StepGate } from "./step-gate";
import { toolContextFor } from "./tool-context";

/**
 * How often a step held by a full bulkhead asks again, in case no release wakes it (a slot that
 * frees by expiring wakes nobody).
 */
export const BULKHEAD_POLL_MS = 1_000;
/** A queued attempt's bulkhead slots outlive its deadline by this much, then free themselves. */
const SLOT_MARGIN_MS = 5_000;

/** What attempts need from their run's object. */
export interface AttemptHost {
	env: Env;
	settings: Settings;
	/** The run's tools: the deployment's, plus the tenant tools its plan recorded. */
	registry: () => ToolRegistry;
	inflight: InflightSteps;
	current(): RunState;
	append(data: RunEventData): void;
	logger(): Logger;
}

export class AttemptRunner {
	/** Steps a full bulkhead turned away, and when each asks again. */
	readonly holds = new Map<number, number>();
	private readonly gate: StepGate;

	constructor(private readonly host: AttemptHost) {
		this.gate = new StepGate(host.env, host.settings, () => host.logger());
	}

	/** Starts the next attempt of a step, if it is not held; returns whether anything changed. */
	async launch(stepNumber: number): Promise<boolean> {
		if ((this.holds.get(stepNumber) ?? 0) > Date.now()) return false;
		this.holds.delete(stepNumber);
		const { settings } = this.host;
		const registry = this.host.registry();
		const start = startAttempt(this.host.current(), stepNumber, registry, Date.now(), Math.random);
		if (!start) return false;
		if (start.kind !== "gated") return this.appendAll(start.events);
		const { attempt, tool, input, queued } = start;
		const policy = policyFor(this.host.current(), registry, tool.name);
		const deadline = Date.now() + policy.timeout_ms + settings.QUEUE_DELIVERY_MS;
		const gated = this.gated(stepNumber, attempt, tool.name, queued);
		const verdict = await this.gate.enter(gated, deadline - Date.now() + SLOT_MARGIN_MS);
		// The awaits above let control calls in: the engine decides on the state as it is now.
		const now = Date.now();
		const next = afterGate(
			this.host.current(),
			stepNumber,
			attempt,
			input,
			verdict,
			policy,
			now,
			Math.random,
		);
		if (next.kind === "held") {
			this.holds.set(stepNumber, now + BULKHEAD_POLL_MS);
			return this.appendAll(next.events) && next.events.length > 0;
		}
		if (next.kind === "stale") {
			if (verdict.kind === "go") await this.gate.leave(gated, null);
			return true;
		}
		this.appendAll(next.events);
		if (next.kind === "run" && queued)
			await this.enqueue(tool, stepNumber, attempt, input, deadline);
		else if (next.kind === "run") this.runInline(tool, stepNumber, attempt, input);
		return true;
	}

	/** Records an attempt's result; false when it is late and changes nothing. */
	record(stepNumber: number, attempt: number, result: ToolResult): boolean {
		const state = this.host.current();
		const policy = policyFor(state, this.host.registry(), stepOf(state, stepNumber)?.tool ?? "");
		const event = settleResult(state, stepNumber, attempt, result, policy, Date.now(), Math.random);
		if (!event) {
			this.host.logger().warn("late result ignored", { step: stepNumber, attempt });
			return false;
		}
		this.host.append(event);
		const step = stepOf(state, stepNumber);
		const span = attemptSpan(state, stepNumber, attempt);
		if (span?.sampled && step?.started_at) {
			const attributes = {
				tenant: state.tenant,
				tool: step.tool,
				step: stepNumber,
				attempt,
				outcome: result.ok ? "succeeded" : result.error.code,
			};
			const started = Date.parse(step.started_at);
			const record = spanRecord(
				span,
				"step attempt",
				started,
				Date.now(),
				result.ok ? "ok" : "error",
				attributes,
			);
			this.host.logger().info("span", record);
		}
		return true;
	}

	/** Records an attempt's result, then tells the tool's breaker and frees its bulkhead slots. */
	async complete(stepNumber: number, attempt: number, result: ToolResult): Promise<void> {
		const step = stepOf(this.host.current(), stepNumber);
		if (!step || !this.record(stepNumber, attempt, result)) return;
		const queued = step.deadline_at !== null;
		await this.gate.leave(this.gated(stepNumber, attempt, step.tool, queued), result);
	}

	/** Appends a scheduler event; a queued attempt cancelled by it gives its slots back. */
	async appendScheduled(event: RunEventData): Promise<void> {
		const before = "step" in event ? stepOf(this.host.current(), event.step) : undefined;
		this.host.append(event);
		if (event.type === "step_cancelled" && before?.status === "running" && before.deadline_at) {
			await this.gate.leave(this.gated(event.step, before.attempts, before.tool, true), null);
		}
	}

	/** Undoes a completed step's effect, recording how it went. */
	async compensate(stepNumber: number): Promise<void> {
		const step = stepOf(this.host.current(), stepNumber);
		if (!step) return;
		const tool = this.host.registry().get(step.tool);
		const result = tool
			? await compensateStep(
					tool,
					step.input,
					step.output,
					this.toolContext(stepNumber, step.attempts, new AbortController().signal),
					this.policy(step.tool).timeout_ms,
				)
			: fail("unknown_tool", `Tool '${step.tool}' is no longer registered`);
		this.host.append(compensationEvent(stepNumber, result));
	}

	private runInline(tool: Tool, stepNumber: number, attempt: number, input: Json): void {
		this.host.inflight.start(stepNumber, async (signal) => {
			let result: ToolResult;
			try {
				const ctx = this.toolContext(stepNumber, attempt, signal);
				result = await executeStep(tool, input, ctx, this.policy(tool.name).timeout_ms);
			} catch (error) {
				result = fail("tool_error", error instanceof Error ? error.message : String(error), true);
			}
			await this.complete(stepNumber, attempt, result);
		});
	}

	private async enqueue(
		tool: Tool,
		stepNumber: number,
		attempt: number,
		input: Json,
		deadline: number,
	): Promise<void> {
		const step = stepOf(this.host.current(), stepNumber);
		if (!step) return;
		const timeout_ms = this.policy(tool.name).timeout_ms;
		const trace = attemptSpan(this.host.current(), stepNumber, attempt);
		const queued = queueAttempt(this.host.current(), step, {
			...(trace ? { traceparent: formatTraceparent(trace) } : {}),
			attempt,
			input,
			timeout_ms,
			deadline,
		});
		this.host.append(queued.event);
		if ("failure" in queued) return this.complete(stepNumber, attempt, queued.failure);
		try {
			await this.host.env.TOOL_QUEUE.send(queued.work, { contentType: "json" });
		} catch (error) {
			const message = `The tool queue refused the message: ${String(error)}`;
			await this.complete(stepNumber, attempt, fail("queue_unavailable", message, true));
		}
	}

	private appendAll(events: readonly RunEventData[]): true {
		for (const event of events) this.host.append(event);
		return true;
	}

	private gated(step: number, attempt: number, tool: string, queued: boolean): GatedAttempt {
		const { run_id: runId, tenant } = this.host.current();
		return { runId, tenant, tool, step, attempt, queued };
	}

	private policy(tool: string) {
		return policyFor(this.host.current(), this.host.registry(), tool);
	}

	private toolContext(stepNumber: number, attempt: number, signal: AbortSignal): ToolContext {
		const state = this.host.current();
		const generation = stepOf(state, stepNumber)?.effect_generation ?? 0;
		const idempotencyKey = effectKey(state.run_id, {
			step_number: stepNumber,
			effect_generation: generation,
		});
		const { env, settings } = this.host;
		const trace = attemptSpan(state, stepNumber, attempt);
		return toolContextFor(
			env,
			settings,
			state,
			{ stepNumber, attempt, idempotencyKey, ...(trace ? { trace } : {}) },
			signal,
		);
	}
}
