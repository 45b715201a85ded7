// What every phase's requests saw: the longest any of them waited for an answer (one that timed
// out waited the whole deadline), and GET /health sampled on a timer while the phase ran.
import { percentile } from "./config.mjs";

const phases = new Map();
let current = "setup";

function record(name) {
	let phase = phases.get(name);
	if (!phase) {
		phase = { requests: 0, unanswered: 0, longest_wait_ms: 0, health: [] };
		phases.set(name, phase);
	}
	return phase;
}

/** Requests from now on are counted under `name`. */
export function enterPhase(name) {
	current = name;
	record(name);
}

export const currentPhase = () => current;

/** One request's wait: `answered` is false when it timed out or lost its connection. */
export function recordWait(phase, ms, answered) {
	recordLoad(phase, 1, answered ? 0 : 1, ms);
}

/** Many requests at once (an autocannon phase): how many, how many unanswered, the longest wait. */
export function recordLoad(phase, requests, unanswered, longestMs) {
	const entry = record(phase);
	entry.requests += requests;
	entry.unanswered += unanswered;
	entry.longest_wait_ms = Math.max(entry.longest_wait_ms, Math.round(longestMs));
}

/** Samples of GET /health, each with its phase, for `health` below. */
export function recordHealth(phase, ms, ok) {
	record(phase).health.push({ ms: Math.round(ms), ok });
}

function healthFigures(samples) {
	const sorted = samples.map((sample) => sample.ms).sort((a, b) => a - b);
	return {
		samples: samples.length,
		failed: samples.filter((sample) => !sample.ok).length,
		p50_ms: percentile(sorted, 0.5),
		p99_ms: percentile(sorted, 0.99),
		max_ms: sorted.at(-1) ?? null,
	};
}

/** Per phase, in the order they ran, and /health over every sample of the bench. */
export function phaseReport() {
	const list = [...phases].map(([name, phase]) => ({
		phase: name,
		requests: phase.requests,
		unanswered: phase.unanswered,
		longest_wait_ms: phase.longest_wait_ms,
		health: phase.health.length ? healthFigures(phase.health) : null,
	}));
	const all = [...phases.values()].flatMap((phase) => phase.health);
	return {
		phases: list.filter((phase) => phase.requests > 0),
		health: healthFigures(all),
		longest_wait_ms: Math.max(0, ...list.map((phase) => phase.longest_wait_ms)),
	};
}
