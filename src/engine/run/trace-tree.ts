/**
 * A run's spans as a tree, built from its event log alone, so a developer sees the waterfall of
 * a run without any tracing vendor: the run, then each step attempt, with the same span ids the
 * run's hops used (see ../trace.ts) and durations read off the events' own times.
 */
import { attemptSpan, type Span } from "../trace";
import type { RunEvent } from "./events";
import type { RunState } from "./state";

export interface TraceSpan {
	name: string;
	span_id: string;
	parent_span_id: string | null;
	start: string;
	end: string | null;
	duration_ms: number | null;
	status: "ok" | "error" | "unset";
	attributes: Record<string, string | number>;
	children: TraceSpan[];
}

const ENDS_RUN = new Set(["run_completed", "run_failed", "run_cancelled"]);

function span(
	name: string,
	ids: Pick<Span, "span_id" | "parent_span_id">,
	start: string,
	end: string | null,
	status: TraceSpan["status"],
	attributes: TraceSpan["attributes"],
): TraceSpan {
	const duration = end === null ? null : Date.parse(end) - Date.parse(start);
	return { name, ...ids, start, end, duration_ms: duration, status, attributes, children: [] };
}

/** The run's span with one child per step attempt, in the order the attempts started. */
export function traceTree(state: RunState, events: readonly RunEvent[]) {
	// A run from before tracing gets ids of its own making, so the tree still has its shape.
	const root: Span = state.trace ?? {
		trace_id: "0".repeat(32),
		span_id: state.run_id.slice(0, 16),
		parent_span_id: null,
		sampled: false,
	};
	const created = events[0]?.at ?? state.created_at;
	const ended = events.find((event) => ENDS_RUN.has(event.data.type));
	const run = span(
		"run",
		root,
		created,
		ended?.at ?? null,
		state.status === "completed" ? "ok" : ended ? "error" : "unset",
		{ run_id: state.run_id, status: state.status, steps: state.execution_log.length },
	);
	const open = new Map<string, TraceSpan>();
	for (const { data, at } of events) {
		if (data.type === "step_started") {
			const tool = state.plan.steps.find((step) => step.step_number === data.step)?.tool ?? "";
			const ids = attemptSpan(state, data.step, data.attempt) ?? {
				span_id: `${root.span_id.slice(0, 12)}${String(data.step).padStart(2, "0")}${String(data.attempt).padStart(2, "0")}`,
				parent_span_id: root.span_id,
			};
			const attempt = span(`step ${data.step} attempt ${data.attempt}`, ids, at, null, "unset", {
				step: data.step,
				attempt: data.attempt,
				tool,
			});
			open.set(`${data.step}/${data.attempt}`, attempt);
			run.children.push(attempt);
			continue;
		}
		const settled =
			data.type === "step_succeeded" ||
			data.type === "step_failed" ||
			data.type === "step_retry_scheduled";
		const key = settled ? `${data.step}/${data.attempt}` : undefined;
		const attempt = key === undefined ? undefined : open.get(key);
		if (!attempt || !settled) continue;
		attempt.end = at;
		attempt.duration_ms = Date.parse(at) - Date.parse(attempt.start);
		attempt.status = data.type === "step_succeeded" ? "ok" : "error";
		attempt.attributes.outcome = data.type === "step_succeeded" ? "succeeded" : data.error.code;
		open.delete(key ?? "");
	}
	return { trace_id: state.trace?.trace_id ?? null, spans: [run] };
}
