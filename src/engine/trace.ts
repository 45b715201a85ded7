/**
 * W3C Trace Context, as pure functions: reading `traceparent` (anything malformed starts a new
 * trace, never an error), writing it, bounding `tracestate`, and naming spans. Span ids of a
 * run's parts are derived from what they are (run, step, attempt, delivery), so every hop can
 * name its parent without storing it, and a replayed alarm names the same span again.
 */

export interface TraceParent {
	trace_id: string;
	/** The caller's span: the parent of ours. */
	parent_id: string;
	sampled: boolean;
}

/** A span of ours: the trace it belongs to, its id, and its parent's. */
export interface Span {
	trace_id: string;
	span_id: string;
	parent_span_id: string | null;
	sampled: boolean;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);
/** The spec's limits: members and length of tracestate. */
const MAX_TRACESTATE_MEMBERS = 32;
const MAX_TRACESTATE_LENGTH = 512;

/** The caller's trace, or undefined for a header that is absent or not a valid traceparent. */
export function parseTraceparent(header: string | undefined | null): TraceParent | undefined {
	const match = TRACEPARENT.exec(header?.trim() ?? "");
	if (!match) return undefined;
	const [, version, traceId = "", parentId = "", flags = "00", rest] = match;
	// Version ff is invalid; version 00 has nothing after the flags; later versions may.
	if (version === "ff" || (version === "00" && rest !== undefined)) return undefined;
	if (traceId === ZERO_TRACE || parentId === ZERO_SPAN) return undefined;
	return {
		trace_id: traceId,
		parent_id: parentId,
		sampled: (Number.parseInt(flags, 16) & 1) === 1,
	};
}

export function formatTraceparent(span: Pick<Span, "trace_id" | "span_id" | "sampled">): string {
	return `00-${span.trace_id}-${span.span_id}-${span.sampled ? "01" : "00"}`;
}

/** tracestate passed along only when within the spec's bounds; never read for anything else. */
export function boundTracestate(header: string | undefined | null): string | undefined {
	if (!header || header.length > MAX_TRACESTATE_LENGTH) return undefined;
	const members = header.split(",").filter((member) => member.trim() !== "");
	return members.length > 0 && members.length <= MAX_TRACESTATE_MEMBERS ? header : undefined;
}

/**
 * The span of a request: a child of the caller's, or the root of a new trace, sampled (its span
 * records written) as the caller says or at `sampleRate`. `randomHex(n)` gives n random bytes as
 * hex and `random` a number in [0, 1) (passed in, so tests are deterministic).
 */
export function requestSpan(
	caller: TraceParent | undefined,
	randomHex: (bytes: number) => string,
	sampleRate = 1,
	random: () => number = Math.random,
): Span {
	return {
		trace_id: caller?.trace_id ?? randomHex(16),
		span_id: randomHex(8),
		parent_span_id: caller?.parent_id ?? null,
		// A caller's decision stands; a new trace is sampled at the configured rate.
		sampled: caller?.sampled ?? random() < sampleRate,
	};
}

/**
 * A child span whose id is derived from its parent and what it is: two 32-bit FNV-1a hashes with
 * different offsets, in plain integer arithmetic (a 64-bit BigInt hash costs far more per call).
 */
export function childSpan(
	parent: Pick<Span, "trace_id" | "span_id" | "sampled">,
	...what: Array<string | number>
): Span {
	const text = [parent.span_id, ...what].join("/");
	let high = 0x811c9dc5;
	let low = 0x050c5d1f;
	for (let index = 0; index < text.length; index += 1) {
		const code = text.charCodeAt(index);
		high = Math.imul(high ^ code, 0x01000193);
		low = Math.imul(low ^ code, 0x01000193);
	}
	const id = `${(high >>> 0).toString(16).padStart(8, "0")}${(low >>> 0).toString(16).padStart(8, "0")}`;
	return {
		trace_id: parent.trace_id,
		span_id: id === ZERO_SPAN ? "0000000000000001" : id,
		parent_span_id: parent.span_id,
		sampled: parent.sampled,
	};
}

/** What every log line of a run carries: the run, and its span of its trace when it has one. */
export function runLogFields(run: { run_id: string; trace?: Span | null } | undefined) {
	const span = run?.trace;
	if (!run || !span) return { run_id: run?.run_id };
	return { run_id: run.run_id, trace_id: span.trace_id, span_id: span.span_id };
}

/** The span of one attempt of a step, a child of the run's; undefined for an untraced run. */
export function attemptSpan(
	run: { trace?: Span | null },
	step: number,
	attempt: number,
): Span | undefined {
	return run.trace ? childSpan(run.trace, "step", step, "attempt", attempt) : undefined;
}

/** A finished span as a structured log record: what Workers Logs and `wrangler tail` show. */
export function spanRecord(
	span: Span,
	name: string,
	startMs: number,
	endMs: number,
	status: "ok" | "error",
	attributes: Record<string, string | number | null>,
) {
	return {
		trace_id: span.trace_id,
		span_id: span.span_id,
		parent_span_id: span.parent_span_id,
		span: name,
		start: new Date(startMs).toISOString(),
		duration_ms: Math.max(0, endMs - startMs),
		status,
		attributes,
	};
}
