// The bench's HTTP client: every request has a deadline, every wait is recorded under its phase,
// and a run is submitted with an Idempotency-Key and sent again with the same key when its answer
// is lost, so a lost answer never turns into a lost run or a second one.
import { BASE, HEALTH_INTERVAL_MS, MAX_ATTEMPTS, REQUEST_DEADLINE_MS, sleep } from "./config.mjs";
import { currentPhase, recordHealth, recordWait } from "./monitor.mjs";

/** A request that got no answer: it timed out (`timeout`) or its connection failed (`transport`). */
export class Lost extends Error {
	constructor(kind, ms, detail) {
		super(`${kind} after ${Math.round(ms)} ms: ${detail}`);
		this.kind = kind;
		this.ms = ms;
	}
}

/** One request with a deadline; resolves with any answer, rejects with Lost when there is none. */
export async function request(pathname, { method = "GET", headers = {}, json } = {}) {
	const phase = currentPhase();
	const started = performance.now();
	try {
		const response = await fetch(`${BASE}${pathname}`, {
			method,
			headers: json === undefined ? headers : { "content-type": "application/json", ...headers },
			body: json === undefined ? undefined : JSON.stringify(json),
			signal: AbortSignal.timeout(REQUEST_DEADLINE_MS),
		});
		// The body is read under the same deadline: an answer is only an answer once it is whole.
		const text = await response.text();
		const ms = performance.now() - started;
		recordWait(phase, ms, true);
		return { status: response.status, headers: response.headers, text, body: parseJson(text), ms };
	} catch (error) {
		const ms = performance.now() - started;
		recordWait(phase, ms, false);
		const kind = error?.name === "TimeoutError" ? "timeout" : "transport";
		throw new Lost(kind, ms, error?.cause?.code ?? error?.message ?? String(error));
	}
}

function parseJson(text) {
	try {
		return JSON.parse(text);
	} catch {
		return null;
	}
}

/** GET a JSON body; anything but a 200 throws (and a lost request throws Lost). */
export async function getJson(pathname) {
	const answer = await request(pathname);
	if (answer.status !== 200) throw new Error(`GET ${pathname} answered ${answer.status}`);
	return answer.body;
}

/** Why an answer counts as lost and is sent again, or null when it is the server's last word. */
function lossOf(answer) {
	if (answer.status === 502 || answer.status === 503 || answer.status === 504) return "proxy";
	if (/network connection lost/i.test(answer.text)) return "connection_lost";
	if (answer.status >= 500) return "server_error";
	if (answer.status === 429) return "throttled";
	return null;
}

/** Counts of requests sent again, by why the earlier attempt was lost. */
export function resendTally() {
	return {
		timeout: 0,
		transport: 0,
		proxy: 0,
		connection_lost: 0,
		server_error: 0,
		throttled: 0,
	};
}

export const resent = (tally) => Object.values(tally).reduce((sum, count) => sum + count, 0);

/**
 * POSTs `json` under `key` until the server answers for good: 200 or 201 (the run exists), or a
 * 4xx (refused). Lost attempts are tallied by reason and sent again after a growing pause. A
 * 200 after a resend is the server recognising the key: the lost attempt had created the run.
 */
export async function submit(pathname, json, key, tally) {
	const first = performance.now();
	for (let attempt = 1; ; attempt += 1) {
		let reason;
		try {
			const answer = await request(pathname, {
				method: "POST",
				headers: { "Idempotency-Key": key },
				json,
			});
			reason = lossOf(answer);
			if (reason === null) {
				const ok = answer.status === 200 || answer.status === 201;
				const took = performance.now() - first;
				return { key, ok, status: answer.status, body: answer.body, attempts: attempt, ms: took };
			}
		} catch (error) {
			if (!(error instanceof Lost)) throw error;
			reason = error.kind;
		}
		if (attempt >= MAX_ATTEMPTS) {
			return { key, ok: false, status: null, body: null, attempts: attempt, lost: reason };
		}
		tally[reason] += 1;
		await sleep(Math.min(250 * 2 ** (attempt - 1), 4_000));
	}
}

/** Runs `task(0..count-1)` with at most `concurrency` at once; results in index order. */
export async function pool(count, concurrency, task) {
	const results = new Array(count);
	let next = 0;
	const worker = async () => {
		while (next < count) {
			const index = next;
			next += 1;
			results[index] = await task(index);
		}
	};
	await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
	return results;
}

/**
 * Sends GET /health every HEALTH_INTERVAL_MS, whether or not the last one has answered (so a
 * stall shows as the waits it causes), each recorded under the phase it started in. Returns the
 * function that stops it and waits for the samples in flight.
 */
export function sampleHealth() {
	const inFlight = new Set();
	const timer = setInterval(() => {
		const phase = currentPhase();
		const sample = request("/health").then(
			(answer) => recordHealth(phase, answer.ms, answer.status === 200),
			(error) => recordHealth(phase, error instanceof Lost ? error.ms : REQUEST_DEADLINE_MS, false),
		);
		inFlight.add(sample);
		void sample.finally(() => inFlight.delete(sample));
	}, HEALTH_INTERVAL_MS);
	return async () => {
		clearInterval(timer);
		await Promise.allSettled([...inFlight]);
	};
}
