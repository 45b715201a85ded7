import type { Json } from "../json";
import { backoffDelay, type RetryPolicy, shouldRetry } from "../resilience/retry-policy";
import type { ToolFailure, ToolResult } from "../tools/types";
import { breachOf, describeBreach, stepsLeft, wallDeadline } from "./budget";
import type { RunEventData } from "./events";
import { doomedSteps, liveFailures, mayReplanOnFailure } from "./failures";
import { isTerminal, type RunState, type StepState, type StepStatus } from "./state";

/** Steps in these statuses have not started their next attempt yet. */
export const STARTABLE_STATUSES: ReadonlySet<StepStatus> = new Set([
	"pending",
	"ready",
	"retry_scheduled",
]);

/** What the scheduler needs to know about tools, beyond their names. */
export interface ToolTraits {
	/** The tool can undo its effect (todo.add deletes what it added). */
	hasCompensation(tool: string): boolean;
}

/** What the run's object should do next, decided from its state alone. */
export interface NextActions {
	/** Steps to start now: dependencies met (and approved where required), or a retry due. */
	start: number[];
	/** Events to append right away, in order. */
	events: RunEventData[];
	/** A step whose effect to undo next; compensations run one at a time. */
	compensate: number | null;
	/** Queued attempts whose deadline passed with no report: they time out now. */
	expired: Array<{ step: number; attempt: number }>;
	/** Epoch ms of the earliest future deadline: a retry, a wait, an approval, a cancel grace. */
	wakeAt: number | null;
	/** An agent run's plan has run: ask the model whether the goal is met (see agent.ts). */
	replan: boolean;
}

const NOTHING: NextActions = {
	start: [],
	events: [],
	compensate: null,
	expired: [],
	wakeAt: null,
	replan: false,
};

/**
 * The DAG scheduler. Once a step has failed for good, or a cancel was asked for, no new step
 * starts: running steps finish (or, when cancelling, are given a grace period), the rest are
 * skipped or cancelled, completed effects are undone when asked, and the run ends.
 */
export function nextActions(state: RunState, now: number, tools: ToolTraits): NextActions {
	if (isTerminal(state)) return NOTHING;
	if (state.cancel) return wind(state, now, tools, "cancel");
	if (state.stop) return wind(state, now, tools, "budget");
	const breach = breachOf(state, now);
	if (breach) return { ...NOTHING, events: [{ type: "budget_exceeded", ...breach }] };
	if (liveFailures(state).length > 0) {
		if (!mayReplanOnFailure(state)) return wind(state, now, tools, "failure");
		// The model will be asked once the rest has run: skip only what can never run now.
		const doomed = doomedSteps(state);
		if (doomed.length > 0) return { ...NOTHING, events: doomed };
	}
	const actions: NextActions = { ...NOTHING, start: [], events: [], expired: [] };
	const wakeAt = (ms: number) => {
		actions.wakeAt = actions.wakeAt === null ? ms : Math.min(actions.wakeAt, ms);
	};
	for (const step of state.execution_log) {
		const due = step.next_attempt_at ? Date.parse(step.next_attempt_at) : null;
		if (step.status === "ready" && step.waiting_for !== null) {
			// Held by a bulkhead: the driver asks for a slot again each time it starts it.
			actions.start.push(step.step_number);
		} else if (step.status === "pending" && dependenciesMet(state, step.step_number)) {
			if (step.requires_approval && step.approval?.status !== "approved") {
				const expiresAt = new Date(now + state.options.approval_ttl_ms).toISOString();
				actions.events.push({
					type: "approval_requested",
					step: step.step_number,
					expires_at: expiresAt,
				});
				wakeAt(Date.parse(expiresAt));
			} else {
				actions.start.push(step.step_number);
			}
		} else if (step.status === "ready" && step.approval?.status === "requested") {
			const expires = Date.parse(step.approval.expires_at);
			if (expires <= now) {
				actions.events.push({
					type: "step_failed",
					step: step.step_number,
					attempt: step.attempts,
					error: {
						code: "approval_expired",
						message: `Approval was not given by ${step.approval.expires_at}`,
					},
				});
			} else wakeAt(expires);
		} else if (step.status === "retry_scheduled") {
			if (due === null || due <= now) actions.start.push(step.step_number);
			else wakeAt(due);
		} else if (isQueued(step)) {
			checkDeadline(step, now, actions.expired, wakeAt);
		} else if (isSleeping(step) && due !== null) {
			if (due <= now) {
				actions.events.push({
					type: "step_succeeded",
					step: step.step_number,
					attempt: step.attempts,
					output: { waited_ms: due - Date.parse(step.started_at ?? step.next_attempt_at ?? "") },
				});
			} else wakeAt(due);
		}
	}
	const deadline = wallDeadline(state);
	if (deadline !== null) wakeAt(deadline);
	if (actions.start.length > 0) {
		// Only new steps count against max_steps; a retry or a held step was counted when it began.
		const fresh = actions.start.filter(
			(n) => state.execution_log.find((step) => step.step_number === n)?.attempts === 0,
		);
		const left = stepsLeft(state, now);
		if (fresh.length > 0) {
			const spent = breachOf(state, now, { starting: fresh.length });
			if (spent && (spent.budget !== "max_steps" || left === 0)) {
				return { ...NOTHING, events: [{ type: "budget_exceeded", ...spent }] };
			}
			if (fresh.length > left) {
				const allowed = new Set(fresh.slice(0, left));
				actions.start = actions.start.filter((n) => !fresh.includes(n) || allowed.has(n));
			}
		}
	}
	const superseded = new Set(state.superseded);
	const settled = (step: StepState) =>
		step.status === "succeeded" ||
		superseded.has(step.step_number) ||
		((step.status === "failed" || step.status === "skipped") && mayReplanOnFailure(state));
	if (
		actions.events.length === 0 &&
		actions.start.length === 0 &&
		state.execution_log.every(settled)
	) {
		return finish(state, now);
	}
	return actions;
}

/**
 * Every step has succeeded. A plan run completes; an agent run asks the model again, unless its
 * rounds are used up or no tokens or money are left for another round.
 */
function finish(state: RunState, now: number): NextActions {
	const completed: RunEventData = { type: "run_completed", result: runResult(state) };
	if (state.options.mode !== "agent" || state.agent) return { ...NOTHING, events: [completed] };
	if (state.rounds >= state.options.max_rounds) {
		const reason = `Stopped after ${state.rounds} planning rounds (max_rounds)`;
		const spend = { usage: null, cost_usd: 0 };
		return {
			...NOTHING,
			events: [{ type: "agent_finished", outcome: "max_rounds", reason, spend }, completed],
		};
	}
	const spent = breachOf(state, now, { planning: true });
	if (spent) return { ...NOTHING, events: [{ type: "budget_exceeded", ...spent }] };
	return { ...NOTHING, replan: true };
}

/** Ends a run that failed, is being cancelled, or spent a budget: stop, clean up, undo if asked, finish. */
function wind(
	state: RunState,
	now: number,
	tools: ToolTraits,
	cause: "cancel" | "failure" | "budget",
): NextActions {
	const events: RunEventData[] = [];
	const expired: NextActions["expired"] = [];
	// The failure that ends the run: not one a planning round already answered.
	const failed = liveFailures(state)[0];
	const reason =
		cause === "cancel"
			? "The run was cancelled"
			: cause === "budget" && state.stop
				? describeBreach(state.stop)
				: `Not started because step ${failed?.step_number} failed`;
	// A spent budget stops the run like a cancel: running steps get the grace period.
	const stoppedAt =
		cause === "cancel"
			? state.cancel?.requested_at
			: cause === "budget"
				? state.stop?.at
				: undefined;
	let wakeAt: number | null = null;
	const wake = (ms: number) => {
		wakeAt = wakeAt === null ? ms : Math.min(wakeAt, ms);
	};
	let running = 0;
	const graceOver =
		stoppedAt !== undefined && now >= Date.parse(stoppedAt) + state.options.cancel_grace_ms;
	for (const step of state.execution_log) {
		const waiting = STARTABLE_STATUSES.has(step.status) || isSleeping(step);
		if (waiting) {
			events.push(
				cause === "failure"
					? { type: "step_skipped", step: step.step_number, reason }
					: { type: "step_cancelled", step: step.step_number, reason },
			);
		} else if (step.status === "running") {
			if (graceOver) {
				events.push({
					type: "step_cancelled",
					step: step.step_number,
					reason: "Did not stop within the cancel grace period",
				});
			} else {
				running += 1;
				if (isQueued(step)) checkDeadline(step, now, expired, wake);
				if (stoppedAt !== undefined) wake(Date.parse(stoppedAt) + state.options.cancel_grace_ms);
			}
		}
	}
	if (running > 0) return { ...NOTHING, events, expired, wakeAt };
	const compensate =
		cause === "cancel" ? (state.cancel?.compensate ?? false) : state.options.compensate_on_failure;
	const next = compensate ? nextCompensation(state, tools) : null;
	if (next !== null) return { ...NOTHING, events, compensate: next };
	if (cause === "cancel") events.push({ type: "run_cancelled" });
	else if (cause === "budget" && state.stop) {
		const error = { code: "budget_exceeded", message: describeBreach(state.stop), step: null };
		events.push({ type: "run_failed", error });
	} else {
		const error = failed?.error ?? { code: "step_failed", message: "Step failed" };
		events.push({ type: "run_failed", error: { ...error, step: failed?.step_number ?? null } });
	}
	return { ...NOTHING, events };
}

/**
 * The next completed step whose effect to undo: latest finished first, so a step is undone only
 * after every step that depended on it. Reused outputs belong to another run and are left alone.
 */
export function nextCompensation(state: RunState, tools: ToolTraits): number | null {
	const candidates = state.execution_log
		.filter(
			(step) =>
				step.status === "succeeded" &&
				step.compensation === null &&
				step.reused_from === null &&
				tools.hasCompensation(step.tool),
		)
		.sort(
			(a, b) =>
				(b.completed_at ?? "").localeCompare(a.completed_at ?? "") || b.step_number - a.step_number,
		);
	return candidates[0]?.step_number ?? null;
}

/** A queued attempt past its deadline expires; otherwise the run wakes at the deadline. */
function checkDeadline(
	step: StepState,
	now: number,
	expired: NextActions["expired"],
	wakeAt: (ms: number) => void,
): void {
	const deadline = Date.parse(step.deadline_at ?? "");
	if (deadline <= now) expired.push({ step: step.step_number, attempt: step.attempts });
	else wakeAt(deadline);
}

/** Running on the queue: the consumer, not this object, holds the attempt. */
function isQueued(step: StepState): boolean {
	return step.status === "running" && step.deadline_at !== null;
}

function isSleeping(step: StepState): boolean {
	return step.status === "running" && step.next_attempt_at !== null;
}

function dependenciesMet(state: RunState, stepNumber: number): boolean {
	const planned = state.plan.steps.find((step) => step.step_number === stepNumber);
	return (planned?.depends_on ?? []).every(
		(dependency) =>
			state.execution_log.find((step) => step.step_number === dependency)?.status === "succeeded",
	);
}

/** The run's result is the output of the last step in plan order. */
export function runResult(state: RunState): Json {
	return state.execution_log.at(-1)?.output ?? null;
}

/** Outputs recorded so far, for resolving references in the inputs of later steps. */
export function recordedOutputs(state: RunState): Map<number, Json> {
	const outputs = new Map<number, Json>();
	for (const step of state.execution_log) {
		if (step.status === "succeeded") outputs.set(step.step_number, step.output);
	}
	return outputs;
}

/**
 * Turns the result of one attempt into its event: success, a scheduled retry, or failure.
 * `attempt` counts within the current budget (attempts since the run was last retried).
 */
export function settleAttempt(
	step: number,
	attempt: number,
	budgetAttempt: number,
	result: ToolResult,
	policy: RetryPolicy,
	now: number,
	random: () => number,
): RunEventData {
	if (result.ok) return { type: "step_succeeded", step, attempt, output: result.value };
	const error = { code: result.error.code, message: result.error.message };
	const spend = result.error.spend ? { spend: result.error.spend } : {};
	if (shouldRetry(budgetAttempt, result.error.retryable, policy)) {
		// A tool that knows when to come back (an open breaker's cool-down) is not retried sooner.
		const delay = (result.error.retry_after_ms ?? 0) + backoffDelay(budgetAttempt, policy, random);
		const retryAt = new Date(now + delay).toISOString();
		return { type: "step_retry_scheduled", step, attempt, error, retry_at: retryAt, ...spend };
	}
	return { type: "step_failed", step, attempt, error, ...spend };
}

/** The failure recorded for an attempt that was running when its object crashed or restarted. */
export const INTERRUPTED: ToolFailure = {
	code: "interrupted",
	message: "The run's object restarted while this attempt was running",
	retryable: true,
};

/** Steps recorded as running that no live execution owns: their attempt died with the object. */
export function interruptedSteps(state: RunState, inflight: ReadonlySet<number>): StepState[] {
	return state.execution_log.filter(
		(step) =>
			step.status === "running" &&
			!isSleeping(step) &&
			!isQueued(step) &&
			!inflight.has(step.step_number),
	);
}
