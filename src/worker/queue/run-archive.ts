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
		await archiveRuns(env, [...requests.values()]);
		batch.ackAll();
	} catch (error) {
		logger.warn("archive batch failed; the queue retries it", { error: String(error) });
		for (const message of batch.messages) {
			message.retry({ delaySeconds: queueRetryDelayS(settings, message.attempts) });
		}
	}
}

/**
 * Reads each run from its object, writes them all, and confirms the finished ones. Exported for
 * tests, which archive a run the way the consumer does without waiting for the queue.
 */
export async function archiveRuns(env: Env, requests: readonly ArchiveRequest[]): Promise<void> {
	const records = await Promise.all(
		requests.map(async (request) => {
			const run = runClient(env, env.RUNS.idFromString(request.run_id));
			return { request, run, record: await run.archiveRecord(request.tenant) };
		}),
	);
	// A run purged since it asked has nothing left to write.
	const present = records.flatMap((entry) =>
		entry.record ? [{ ...entry, record: entry.record }] : [],
	);
	const archivedAt = new Date().toISOString();
	await writeRuns(
		drizzle(env.DB),
		present.map(({ record }) =>
			record.events
				? { state: record.state, events: record.events, archivedAt }
				: { state: record.state },
		),
	);
	// A lost confirmation costs a resend from the object, not a wrong archive.
	await Promise.allSettled(
		present
			.filter(({ record }) => record.events)
			.map(({ request, run, record }) =>
				run.archived(request.tenant, record.state.seq, archivedAt),
			),
	);
}
