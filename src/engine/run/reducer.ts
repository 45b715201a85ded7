import type { RunEvent } from "./events";
import type { RunState, StepState } from "./state";

export class EventOrderError extends Error {}

/**
 * Folds one event into the run's state. Pure: the live object, time travel and the archive all
 * use it, so a state can always be rebuilt from the log alone.
 */
export function applyEvent(state: RunState | undefined, event: RunEvent): RunState {
	const { data, at, seq } = event;
	if (data.type === "run_created") {
		if (state) throw new EventOrderError("run_created must be the first event");
		return {
			run_id: data.run_id,
			tenant: data.tenant,
			prompt: data.prompt,
			status: "pending",
			plan: data.plan,
			policy: data.policy,
			execution_log: data.plan.steps.map(
				(step): StepState => ({
					step_number: step.step_number,
					tool: step.tool,
					input: step.input,
					output: null,
					status: "pending",
					error: null,
					attempts: 0,
					started_at: null,
					completed_at: null,
					duration_ms: null,
					next_attempt_at: null,
				}),
			),
			result: null,
			error: null,
			created_at: at,
			started_at: null,
			completed_at: null,
			seq,
		};
	}
	if (!state) throw new EventOrderError(`${data.type} arrived before run_created`);
	const next: RunState = { ...state, seq };
	switch (data.type) {
		case "run_started":
			return { ...next, status: "running", started_at: at };
		case "step_started":
			return updateStep(next, data.step, {
				status: "running",
				input: data.input,
				attempts: data.attempt,
				started_at: at,
				completed_at: null,
				duration_ms: null,
				next_attempt_at: null,
			});
		case "step_succeeded":
			return updateStep(next, data.step, (step) => ({
				status: "succeeded",
				output: data.output,
				error: null,
				...finished(step, at),
			}));
		case "step_retry_scheduled":
			return updateStep(next, data.step, (step) => ({
				status: "retry_scheduled",
				error: data.error,
				next_attempt_at: data.retry_at,
				...finished(step, at),
			}));
		case "step_failed":
			return updateStep(next, data.step, (step) => ({
				status: "failed",
				error: data.error,
				...finished(step, at),
			}));
		case "step_skipped":
			return updateStep(next, data.step, {
				status: "skipped",
				error: { code: "dependency_failed", message: data.reason },
			});
		case "run_completed":
			return { ...next, status: "completed", result: data.result, completed_at: at };
		case "run_failed":
			return { ...next, status: "failed", error: data.error, completed_at: at };
	}
}

/** Folds a whole log, oldest first. */
export function foldEvents(events: Iterable<RunEvent>): RunState | undefined {
	let state: RunState | undefined;
	for (const event of events) state = applyEvent(state, event);
	return state;
}

function finished(step: StepState, at: string): Partial<StepState> {
	const duration = step.started_at ? Date.parse(at) - Date.parse(step.started_at) : null;
	return { completed_at: at, duration_ms: duration };
}

function updateStep(
	state: RunState,
	stepNumber: number,
	change: Partial<StepState> | ((step: StepState) => Partial<StepState>),
): RunState {
	const index = state.execution_log.findIndex((step) => step.step_number === stepNumber);
	const step = state.execution_log[index];
	if (!step) throw new EventOrderError(`Event names step ${stepNumber}, which the plan lacks`);
	const log = [...state.execution_log];
	log[index] = { ...step, ...(typeof change === "function" ? change(step) : change) };
	return { ...state, execution_log: log };
}

/**
 * The state exactly as it was after event `at` (time travel). Undefined when the log is shorter:
 * the caller reports the last sequence number instead.
 */
export function foldUntil(events: readonly RunEvent[], at: number): RunState | undefined {
	const last = events.at(-1);
	if (!last || last.seq < at) return undefined;
	return foldEvents(events.filter((event) => event.seq <= at));
}
