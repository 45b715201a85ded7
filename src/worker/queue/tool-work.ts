/**
 * The tool queue's consumer. Each message is one attempt of a queued step; the batch's messages
 * run concurrently and each is acked or retried on its own, so one failing message never fails
 * its batch. The tool runs only if the run's object says the attempt is still current, and its
 * result goes back to that object, which accepts the first report of the current attempt only.
 */
import { loggerFor, registryFor } from "../../config";
import { runClient } from "../../durable/run-api";
import { toolsFrom } from "../../durable/tenant-tools";
import { toolContextFor } from "../../durable/tool-context";
import { executeStep } from "../../engine/run/execute-step";
import { type ToolWork, ToolWorkSchema } from "../../engine/run/tool-work";
import { DeliveryFault, fail } from "../../engine/tools/types";
import { childSpan, parseTraceparent, type Span, spanRecord } from "../../engine/trace";
import { recordPoint } from "../../metrics";
import { queueRetryDelayS, settingsFor } from "../../settings";

export async function consumeToolWork(batch: MessageBatch, env: Env): Promise<void> {
	await Promise.all(batch.messages.map((message) => deliver(message, env)));
}

async function deliver(message: Message, env: Env): Promise<void> {
	const work = parseWork(message, env);
	if (!work) return;
	const run = runClient(env, env.RUNS.idFromString(work.run_id));
	try {
		if (!(await run.beginDelivery(work.tenant, work.step_number, work.attempt))) {
			message.ack();
			return;
		}
		const settings = settingsFor(env);
		const tool = work.definition
			? toolsFrom([work.definition])[0]
			: registryFor(settings).get(work.tool);
		const trace = deliverySpan(work, message.attempts);
		loggerFor(settings, {
			run_id: work.run_id,
			step: work.step_number,
			...traceFieldsOf(trace),
		}).debug("tool delivery", { delivery: message.attempts, tool: work.tool });
		const ctx = toolContextFor(
			env,
			settings,
			work,
			{
				stepNumber: work.step_number,
				attempt: work.attempt,
				idempotencyKey: work.idempotency_key,
				...(trace ? { trace } : {}),
			},
			new AbortController().signal,
		);
		const started = Date.now();
		const result = tool
			? await executeStep(tool, work.input, ctx, work.timeout_ms)
			: fail("unknown_tool", `Tool '${work.tool}' is not registered here`);
		if (trace?.sampled) {
			const outcome = result.ok ? "succeeded" : result.error.code;
			const attributes = { tenant: work.tenant, tool: work.tool, attempt: work.attempt, outcome };
			const status = result.ok ? "ok" : "error";
			loggerFor(settings, { run_id: work.run_id }).info(
				"span",
				spanRecord(trace, "queue delivery", started, Date.now(), status, attributes),
			);
		}
		await run.reportDelivery(work.tenant, work.step_number, work.attempt, result);
		const outcome = result.ok ? "ok" : result.error.code;
		recordPoint(env, { kind: "delivery", tenant: work.tenant, labels: [work.tool, outcome] });
		message.ack();
	} catch (error) {
		if (error instanceof DeliveryFault && error.kind === "drop_report") {
			message.ack();
			return;
		}
		const reason = error instanceof Error ? error.message : String(error);
		const trace = traceFieldsOf(deliverySpan(work, message.attempts));
		loggerFor(settingsFor(env), { run_id: work.run_id, step: work.step_number, ...trace }).warn(
			"tool delivery failed",
			{
				delivery: message.attempts,
				error: reason,
			},
		);
		// Best effort: when the run's object is what failed, this fails too, and that is fine.
		await run
			.noteDeliveryFailure(work.tenant, work.step_number, work.attempt, message.attempts, reason)
			.catch(() => {});
		message.retry({ delaySeconds: queueRetryDelayS(settingsFor(env), message.attempts) });
	}
}

/**
 * The dead-letter queue's consumer: the main queue gave up on these attempts, so their steps
 * fail with `dead_lettered` (unless a later attempt has already moved on).
 */
export async function consumeDeadLetters(batch: MessageBatch, env: Env): Promise<void> {
	await Promise.all(
		batch.messages.map(async (message) => {
			const work = parseWork(message, env);
			if (!work) return;
			try {
				await runClient(env, env.RUNS.idFromString(work.run_id)).deadLettered(
					work.tenant,
					work.step_number,
					work.attempt,
				);
				recordPoint(env, { kind: "dead_letter", tenant: work.tenant, labels: [work.tool] });
				message.ack();
			} catch {
				message.retry({ delaySeconds: queueRetryDelayS(settingsFor(env), message.attempts) });
			}
		}),
	);
}

/** A message that is not tool work can never succeed: it is logged and acked, not retried. */
function parseWork(message: Message, env: Env): ToolWork | undefined {
	const parsed = ToolWorkSchema.safeParse(message.body);
	if (parsed.success) {
		try {
			env.RUNS.idFromString(parsed.data.run_id);
			return parsed.data;
		} catch {
			// An id this namespace never issued: fall through to the drop below.
		}
	}
	loggerFor(settingsFor(env)).error("malformed tool work message dropped", {
		message_id: message.id,
	});
	message.ack();
	return undefined;
}

/** The span of one delivery of a queued attempt: a child of the attempt's span it carries. */
function deliverySpan(work: ToolWork, delivery: number): Span | undefined {
	const attempt = parseTraceparent(work.traceparent);
	if (!attempt) return undefined;
	const parent = {
		trace_id: attempt.trace_id,
		span_id: attempt.parent_id,
		sampled: attempt.sampled,
	};
	return childSpan(parent, "delivery", delivery);
}

function traceFieldsOf(span: Span | undefined) {
	return span
		? { trace_id: span.trace_id, span_id: span.span_id, parent_span_id: span.parent_span_id }
		: {};
}
