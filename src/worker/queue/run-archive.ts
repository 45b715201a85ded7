/**
 * The run-archive queue's consumer. Each message carries a run's log (or, for a log too long for
 * a message, names the run, which is then read from its object); the batch's runs are folded from
 * their logs and written to D1 together, a few D1 batches for the whole queue batch. Nothing is
 * confirmed back: the object checks D1 itself before it purges, and D1 keeps each run's newest
 * copy whatever order the messages arrive in.
 */
import { drizzle } from "drizzle-orm/d1";
import { loggerFor } from "../../config";
import { writeRuns } from "../../db/archive";
import { type ArchiveRecord, runClient } from "../../durable/run-api";
import { type ArchiveRequest, readArchiveMessage } from "../../engine/run/archive-request";
import { foldEvents } from "../../engine/run/reducer";
import { isTerminal } from "../../engine/run/state";
import { childSpan, spanRecord } from "../../engine/trace";
import { recordPoint } from "../../metrics";
import { queueRetryDelayS, settingsFor } from "../../settings";

export async function consumeArchiveRequests(batch: MessageBatch, env: Env): Promise<void> {
	const settings = settingsFor(env);
	const logger = loggerFor(settings, { queue: batch.queue });
	const requests: ArchiveRequest[] = [];
	const runIds = new Map<string, string>();
	for (const message of batch.messages) {
		const request = readArchiveMessage(message.body);
		if (!request) {
			logger.error("malformed archive request dropped", { message_id: message.id });
			continue;
		}
		requests.push(request);
		runIds.set(message.id, request.run_id);
	}
	try {
		const unread = await archiveRuns(env, requests);
		// A run whose object could not be read waits for its own retry, not the whole batch's.
		for (const message of batch.messages) {
			const runId = runIds.get(message.id);
			if (runId && unread.has(runId)) {
				message.retry({ delaySeconds: queueRetryDelayS(settings, message.attempts) });
			} else message.ack();
		}
	} catch (error) {
		logger.warn("archive batch failed; the queue retries it", { error: String(error) });
		for (const message of batch.messages) {
			message.retry({ delaySeconds: queueRetryDelayS(settings, message.attempts) });
		}
	}
}

/**
 * Folds each run from its log (reading the run from its object when the request carries none) and
 * writes them all; returns the runs whose object could not be read. Exported for tests, which
 * archive a run the way the consumer does without waiting for the queue.
 */
export async function archiveRuns(
	env: Env,
	requests: readonly ArchiveRequest[],
): Promise<Set<string>> {
	const reads = await Promise.allSettled(
		requests.map(async (request) => ({ request, record: await recordOf(env, request) })),
	);
	const unread = new Set<string>();
	const present = reads.flatMap((read, index) => {
		if (read.status === "rejected") {
			unread.add(requests[index]?.run_id ?? "");
			return [];
		}
		// A run purged since it asked has nothing left to write.
		const { request, record } = read.value;
		return record ? [{ request, record }] : [];
	});
	const archivedAt = new Date().toISOString();
	const writeStarted = Date.now();
	const written = await writeRuns(
		drizzle(env.DB),
		present.map(({ record }) =>
			record.events
				? { state: record.state, events: record.events, archivedAt }
				: { state: record.state },
		),
	);
	const logger = loggerFor(settingsFor(env));
	// Only the copies written: a stale one, dropped, is neither a span nor a finished run.
	for (const { state, events } of written) {
		if (state.trace?.sampled) {
			const span = childSpan(state.trace, "archive", state.seq);
			const attributes = { tenant: state.tenant, runs_in_batch: written.length };
			logger.info("span", spanRecord(span, "archive", writeStarted, Date.now(), "ok", attributes));
		}
		if (!events) continue;
		const { status, plan, execution_log: steps } = state;
		const attempts = steps.reduce((sum, step) => sum + step.attempts, 0);
		const created = Date.parse(state.created_at);
		const duration = Date.parse(state.completed_at ?? state.created_at) - created;
		recordPoint(env, {
			kind: "run",
			tenant: state.tenant,
			labels: [status, plan.planner],
			values: [duration, steps.length, attempts],
		});
	}
	return unread;
}

/** The run as its log folds, or as its object holds it when the request carries no log. */
async function recordOf(env: Env, request: ArchiveRequest): Promise<ArchiveRecord | null> {
	if (!request.events) {
		return runClient(env, env.RUNS.idFromString(request.run_id)).archiveRecord(request.tenant);
	}
	const state = foldEvents(request.events);
	if (!state || state.run_id !== request.run_id || state.tenant !== request.tenant) {
		throw new Error(`archive request for ${request.run_id} carries another run's log`);
	}
	return { state, events: isTerminal(state) ? request.events : null };
}
