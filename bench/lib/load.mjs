// The load phases: fixed-duration load with autocannon (floors, creation, history), and the
// end-to-end rounds and the Workflow peer, whose every run is submitted idempotently and then
// accounted for by a census on the server.
import autocannon from "autocannon";
import { badRuns, census, censusLine, watch } from "./census.mjs";
import {
	BASE,
	DRAIN_DEADLINE_MS,
	E2E_CONNECTIONS,
	log,
	percentile,
	REQUEST_DEADLINE_MS,
	SECONDS,
	SETTLE_DEADLINE_MS,
	sleep,
	THREE_STEPS,
} from "./config.mjs";
import { getJson, Lost, pool, request, resendTally, resent, submit } from "./http.mjs";
import { currentPhase, recordLoad } from "./monitor.mjs";

/** Runs created so far, as the client counts them: only a hint for settle() to stop early. */
let createdSoFar = 0;

/** `duration` seconds of autocannon load; a timed-out request counts as waiting the deadline. */
export async function load(name, options) {
	const result = await autocannon({
		duration: SECONDS,
		timeout: REQUEST_DEADLINE_MS / 1000,
		...options,
		url: `${BASE}${options.path}`,
	});
	const ok = result["2xx"];
	if (options.path === "/runs" && options.method === "POST") createdSoFar += ok;
	const longest = result.timeouts > 0 ? REQUEST_DEADLINE_MS : result.latency.max;
	recordLoad(currentPhase(), result.requests.total, result.errors, longest);
	const proxy = [502, 503, 504].reduce(
		(sum, code) => sum + (result.statusCodeStats?.[code]?.count ?? 0),
		0,
	);
	const figure = {
		name,
		connections: options.connections,
		requests: result.requests.total,
		ok,
		errors: result.errors + result.non2xx,
		lost: result.errors + proxy,
		timeouts: result.timeouts,
		rps: Math.round(ok / (result.duration || SECONDS)),
		p50_ms: result.latency.p50,
		p99_ms: result.latency.p99,
		max_ms: result.latency.max,
	};
	log(
		`${name} c=${options.connections}: ${figure.rps} rps, p50 ${figure.p50_ms} ms, p99 ${figure.p99_ms} ms, lost ${figure.lost}`,
	);
	return figure;
}

/** Finished (completed or failed) and live runs since 2026, from the server's D1 statistics. */
async function serverCounts(since = "2026-01-01") {
	const stats = await getJson(`/stats?since=${encodeURIComponent(since)}`);
	const byStatus = stats.runs?.by_status ?? {};
	const count = (status) => byStatus[status] ?? 0;
	return {
		finished: count("completed") + count("failed") + count("cancelled"),
		live: count("running") + count("pending") + count("waiting_approval") + count("cancelling"),
		total: Object.values(byStatus).reduce((sum, runs) => sum + runs, 0),
	};
}

/**
 * Waits until the runs created so far are finished and archived: the server's finished count
 * reaches the client's count, or stops moving for two seconds with nothing live (autocannon's
 * tally can run ahead of the server's by requests it cut off at the end of a phase).
 */
export async function settle() {
	const deadline = Date.now() + SETTLE_DEADLINE_MS;
	let last = -1;
	let still = 0;
	while (Date.now() < deadline) {
		try {
			const { finished, live } = await serverCounts();
			if (finished >= createdSoFar) return;
			still = finished === last && live === 0 ? still + 1 : 0;
			if (still >= 8) return;
			last = finished;
		} catch (error) {
			if (!(error instanceof Lost)) throw error;
		}
		await sleep(250);
	}
	throw new Error(`runs did not finish within ${SETTLE_DEADLINE_MS / 1000} s`);
}

/** Rows D1 holds for runs created since `since`, once they stop growing or reach `expected`. */
async function archivedSince(since, expected) {
	const deadline = Date.now() + 30_000;
	let total = -1;
	let still = 0;
	while (Date.now() < deadline) {
		try {
			const now = (await serverCounts(since)).total;
			if (now >= expected) return now;
			still = now === total ? still + 1 : 0;
			if (still >= 8) return now;
			total = now;
		} catch (error) {
			if (!(error instanceof Lost)) throw error;
		}
		await sleep(250);
	}
	return total;
}

/**
 * Submits `count` runs and returns the census of their statuses, read back until all are
 * terminal or the round's drain deadline passes.
 */
async function submitAndCount({ label, count, route, body, keyPrefix, censusRoute }) {
	const tally = resendTally();
	const started = Date.now();
	const submissions = await pool(count, E2E_CONNECTIONS, async (index) => {
		const answer = await submit(route, body, `${keyPrefix}-${index}`, tally);
		return { ...answer, id: answer.body?.run_id ?? answer.body?.id };
	});
	const creation_rps = Math.round(count / ((Date.now() - started) / 1000));
	const ids = submissions.filter((entry) => entry.ok).map((entry) => entry.id);
	const deadline = Date.now() + DRAIN_DEADLINE_MS;
	const statuses = await watch(censusRoute, ids, deadline);
	const now = Date.now();
	const counts = census(submissions, statuses, now, now >= deadline);
	const replayed = submissions.filter((entry) => entry.status === 200 && entry.attempts > 1);
	const resends = {
		total: resent(tally),
		...tally,
		answered_by_replay: replayed.length,
		unexpected_replays: submissions.filter((entry) => entry.status === 200 && entry.attempts === 1)
			.length,
	};
	log(censusLine(label, counts));
	log(
		`${label}: lost responses resent: ${resends.total} (timeout ${tally.timeout}, transport ${tally.transport}, proxy 502/503/504 ${tally.proxy}, connection lost ${tally.connection_lost}, other 5xx ${tally.server_error}, 429 ${tally.throttled}); ${replayed.length} answered by the key's earlier run`,
	);
	return { started, ids, statuses, counts, resends, creation_rps };
}

function timings(runs, started) {
	const took = runs
		.map((run) => Date.parse(run.completed_at) - Date.parse(run.created_at))
		.sort((a, b) => a - b);
	const lastDone = Math.max(...runs.map((run) => Date.parse(run.completed_at)));
	return {
		completed_per_s: runs.length
			? Math.round((runs.length / ((lastDone - started) / 1000)) * 10) / 10
			: 0,
		p50_ms: percentile(took, 0.5),
		p99_ms: percentile(took, 0.99),
	};
}

/**
 * One end-to-end round: the tenant's todo list is emptied (as the peer's starts empty), `count`
 * 3-step runs are submitted at E2E_CONNECTIONS, and each is timed from creation to completion.
 */
export async function endToEnd(round, count, stamp) {
	const cleared = await request("/__bench/todos/clear", { method: "POST" });
	if (cleared.status !== 200 || cleared.body?.total !== 0) {
		throw new Error(`could not empty the todo list before round ${round}: ${cleared.text}`);
	}
	const label = `end to end, round ${round}`;
	const { started, ids, statuses, counts, resends, creation_rps } = await submitAndCount({
		label,
		count,
		route: "/runs",
		body: { prompt: THREE_STEPS },
		keyPrefix: `run-${stamp}-r${round}`,
		censusRoute: "/__bench/census",
	});
	createdSoFar += new Set(ids).size;
	const completed = ids.map((id) => statuses.get(id)).filter((s) => s?.status === "completed");
	// D1's rows for the round, once archived: more rows than runs would be duplicates.
	const archived = await archivedSince(new Date(started).toISOString(), new Set(ids).size);
	counts.archived = archived;
	counts.duplicates = Math.max(0, archived - new Set(ids).size);
	log(`${label}: D1 holds ${archived} runs created since the round began, for ${ids.length} keys`);
	return {
		submitted: count,
		created: new Set(ids).size,
		not_completed: badRuns(counts),
		creation_rps,
		...timings(completed, started),
		census: counts,
		resends,
	};
}

/** The Workflow peer: `count` instances at E2E_CONNECTIONS, on a todo list of this phase's own. */
export async function workflowPeer(count, stamp) {
	const { started, ids, statuses, counts, resends, creation_rps } = await submitAndCount({
		label: "Workflow peer",
		count,
		route: `/__bench/workflow?list=peer-${stamp}`,
		body: {},
		keyPrefix: `peer-${stamp}`,
		censusRoute: "/__bench/workflow/census",
	});
	const complete = ids.map((id) => statuses.get(id)).filter((s) => s?.status === "completed");
	return {
		submitted: count,
		created: new Set(ids).size,
		not_completed: badRuns(counts),
		creation_rps,
		...timings(complete, started),
		census: counts,
		resends,
	};
}
