/**
 * The run-archive queue's consumer. Each message names a run; the batch's runs are read back
 * from their objects, written to D1 together (a few D1 batches for the whole queue batch, not
 * one per run), then each finished run's object is told which copy landed. A run that changed
 * meanwhile ignores the confirmation and asks again when it ends again.
 */
import { drizzle } from "drizzle-orm/d1";
import { loggerFor } from "../../config";
import { writeRuns } from "../../db/archive";
import { runClient } from "../../durable/run-api";
import { type ArchiveRequest, ArchiveRequestSchema } from "../../engine/run/archive-request";
import { childSpan, spanRecord } from "../../engine/trace";
import { recordPoint } from "../../metrics";
import { queueRetryDelayS, settingsFor } from "../../settings";

export async function consumeArchiveRequests(batch: MessageBatch, env: Env): Promise<void> {
	const settings = settingsFor(env);
	const logger = loggerFor(settings, { queue: batch.queue });
	const requests = new Map<string, ArchiveRequest>();
	for (const message of batch.messages) {
		const parsed = ArchiveRequestSchema.safeParse(message.body);
		if (parsed.success) requests.set(parsed.data.run_id, parsed.data);
		else logger.error("malformed archive request dropped", { message_id: message.id });
	}
	try {
		const unread = await archiveRuns(env, [...requests.values()]);
		// A run whose object could not be read waits for its own retry, not the whole batch's.
		for (const message of batch.messages) {
			const runId = ArchiveRequestSchema.safeParse(message.body).data?.run_id;
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
 * Reads each run from its object, writes them all, and confirms the finished ones; returns the
 * runs whose object could not be read. Exported for tests, which archive a run the way the
 * consumer does without waiting for the queue.
 */
export async function archiveRuns(
	env: Env,
	requests: readonly ArchiveRequest[],
): Promise<Set<string>> {
	const reads = await Promise.allSettled(
		requests.map(async (request) => {
			const run = runClient(env, env.RUNS.idFromString(request.run_id));
			return { request, run, record: await run.archiveRecord(request.tenant) };
		}),
	);
	const unread = new Set<string>();
	const records = reads.flatMap((read, index) => {
		if (read.status === "fulfilled") return [read.value];
		unread.add(requests[index]?.run_id ?? "");
		return [];
	});
	// A run purged since it asked has nothing left to write.
	const present = records.flatMap((entry) =>
		entry.record ? [{ ...entry, record: entry.record }] : [],
	);
	const archivedAt = new Date().toISOString();
	const writeStarted = Date.now();
	await writeRuns(
		drizzle(env.DB),
		present.map(({ record }) =>
			record.events
				? { state: record.state, events: record.events, archivedAt }
				: { state: record.state },
		),
	);
	const logger = loggerFor(settingsFor(env));
	for (const { request, record } of present) {
		if (record.state.trace?.sampled) {
			const span = childSpan(record.state.trace, "archive", record.state.seq);
			const attributes = { tenant: request.tenant, runs_in_batch: present.length };
			logger.info("span", spanRecord(span, "archive", writeStarted, Date.now(), "ok", attributes));
		}
		if (!record.events) continue;
		const { status, plan, execution_log: steps } = record.state;
		const attempts = steps.reduce((sum, step) => sum + step.attempts, 0);
		const created = Date.parse(record.state.created_at);
		const duration = Date.parse(record.state.completed_at ?? record.state.created_at) - created;
		recordPoint(env, {
			kind: "run",
			tenant: request.tenant,
			labels: [status, plan.planner],
			values: [duration, steps.length, attempts],
		});
	}
	// A lost confirmation costs a resend from the object, not a wrong archive.
	await Promise.allSettled(
		present
			.filter(({ record }) => record.events)
			.map(({ request, run, record }) =>
				run.archived(request.tenant, record.state.seq, archivedAt),
			),
	);
	return unread;
}
