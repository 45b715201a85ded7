// The census: after a round, every submitted run is looked up on the server and counted as
// exactly one of created (live), completed, failed, cancelled, stuck, refused, lost or unread,
// so the counts add up to the runs submitted, whatever the client saw of its own requests.
import { log, STUCK_AFTER_MS, sleep } from "./config.mjs";
import { Lost, request } from "./http.mjs";

const TERMINAL = new Set(["completed", "failed", "cancelled"]);
/** Ids per census request (the route takes at most 200). */
const BATCH = 100;
const EXAMPLES = 5;

/**
 * Reads `ids`' statuses through `route` (a bench census route) until every one is terminal or
 * `deadline` (epoch ms) passes, then once more for the answer. A pass that loses its request
 * leaves those ids for the next pass. Returns id → status, for the ids the server answered for.
 */
export async function watch(route, ids, deadline) {
	const statuses = new Map();
	let pending = [...ids];
	for (;;) {
		for (let index = 0; index < pending.length; index += BATCH) {
			try {
				const answer = await request(route, {
					method: "POST",
					json: { ids: pending.slice(index, index + BATCH) },
				});
				if (answer.status !== 200) {
					log(`${route} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
					continue;
				}
				for (const [id, status] of Object.entries(answer.body)) statuses.set(id, status);
			} catch (error) {
				if (!(error instanceof Lost)) throw error;
			}
		}
		pending = pending.filter((id) => !TERMINAL.has(statuses.get(id)?.status));
		if (pending.length === 0 || Date.now() >= deadline) return statuses;
		// Polling is load on the server under test: pause between passes.
		await sleep(1_000);
	}
}

/**
 * One run's category at `now`. A live run is stuck once its last event is STUCK_AFTER_MS old,
 * and, at a round's end, once the round's drain deadline has passed.
 */
export function classify(status, now, deadlinePassed) {
	if (status === undefined) return "unread";
	if (status.status === "missing") return "lost";
	if (TERMINAL.has(status.status)) return status.status;
	const last = Date.parse(status.last_event_at ?? status.created_at ?? "");
	const quiet = Number.isFinite(last) && now - last >= STUCK_AFTER_MS;
	return quiet || deadlinePassed ? "stuck" : "created";
}

/**
 * The census of one round from its submissions (see submit in http.mjs) and the statuses read
 * back. Every submission lands in exactly one count; `examples` names a few ids of each bad one.
 */
export function census(submissions, statuses, now, deadlinePassed) {
	const counts = {
		submitted: submissions.length,
		created: 0,
		completed: 0,
		failed: 0,
		cancelled: 0,
		stuck: 0,
		refused: 0,
		lost: 0,
		unread: 0,
	};
	const examples = {};
	const note = (category, entry) => {
		counts[category] += 1;
		if (["completed", "created"].includes(category)) return;
		examples[category] ??= [];
		if (examples[category].length < EXAMPLES) examples[category].push(entry);
	};
	for (const submission of submissions) {
		if (!submission.ok) {
			const category = submission.status === null ? "lost" : "refused";
			note(category, { key: submission.key, status: submission.status ?? submission.lost });
			continue;
		}
		const status = statuses.get(submission.id);
		const category = classify(status, now, deadlinePassed);
		note(category, { id: submission.id, status: status?.status, error: status?.error_code });
	}
	const ids = submissions.filter((submission) => submission.ok).map((submission) => submission.id);
	// Two keys answered with one run would mean the server merged two submissions.
	const merged = ids.length - new Set(ids).size;
	return { ...counts, merged, examples };
}

/** Runs the census counts as bad: anything but completed (and live, which the deadline ends). */
export function badRuns(counts) {
	return (
		counts.failed +
		counts.cancelled +
		counts.stuck +
		counts.refused +
		counts.lost +
		counts.unread +
		counts.merged +
		(counts.duplicates ?? 0)
	);
}

/** One line for the log: every count, in the census's order. */
export function censusLine(label, counts) {
	const parts = [
		"created",
		"completed",
		"failed",
		"cancelled",
		"stuck",
		"refused",
		"lost",
		"unread",
	]
		.map((name) => `${name} ${counts[name]}`)
		.join(", ");
	const extra = counts.merged ? `, merged ${counts.merged}` : "";
	return `${label} census: submitted ${counts.submitted}: ${parts}${extra}`;
}
