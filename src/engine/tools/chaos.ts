import { z } from "zod";
import { DeliveryFault, defineTool, type ExecutionMode, fail, succeed, type Tool } from "./types";

/**
 * Fault injection for development and tests, never registered in production. Each attempt of a
 * step follows the behaviour at its index (the last one repeats), so a test can script "time out,
 * then fail, then succeed" deterministically. `chaos` runs inline, `chaos.queued` on the queue.
 */
function chaosTool(name: string, execution: ExecutionMode): Tool {
	const Behaviour = z
		.object({
			latency_ms: z.number().int().min(0).max(60_000).optional(),
			fail: z.enum(["retryable", "fatal"]).optional(),
			/** Fails (retryably) with this probability instead of always: noise for benchmarks. */
			fail_probability: z.number().min(0).max(1).optional(),
			hang: z.boolean().optional(),
			/** Queued only: the consumer drops its report, or crashes so the message is redelivered. */
			fault: z.enum(["drop_report", "crash_consumer"]).optional(),
		})
		.strict();
	return defineTool({
		name,
		description: `Development only (${execution}): scripted latency, failures, hangs and delivery faults, one behaviour per attempt.`,
		input: z
			.object({
				behaviours: z.array(Behaviour).max(20).default([]),
				output: z.json().optional(),
			})
			.strict(),
		mutates: false,
		execution,
		async execute({ behaviours, output }, ctx) {
			const behaviour = behaviours[Math.min(ctx.attempt, behaviours.length) - 1] ?? {};
			if (behaviour.hang) await abortion(ctx.signal);
			if (behaviour.latency_ms) await sleep(behaviour.latency_ms, ctx.signal);
			if (behaviour.fault) throw new DeliveryFault(behaviour.fault);
			const unlucky =
				behaviour.fail_probability !== undefined && Math.random() < behaviour.fail_probability;
			if (behaviour.fail || unlucky) {
				const kind = behaviour.fail ?? "retryable";
				return fail(
					"chaos",
					`Injected ${kind} failure on attempt ${ctx.attempt}`,
					kind === "retryable",
				);
			}
			return succeed(output ?? { attempt: ctx.attempt });
		},
	});
}

// Pure: when the build leaves them unused (production), the bundler drops this module.
export const chaosTools: readonly Tool[] = [
	/* @__PURE__ */ chaosTool("chaos", "inline"),
	/* @__PURE__ */ chaosTool("chaos.queued", "queued"),
];

function abortion(signal: AbortSignal): Promise<never> {
	return new Promise((_, reject) => {
		signal.addEventListener("abort", () => reject(signal.reason), { once: true });
	});
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
	return new Promise((resolve, reject) => {
		const timer = setTimeout(resolve, ms);
		signal.addEventListener(
			"abort",
			() => {
				clearTimeout(timer);
				reject(signal.reason);
			},
			{ once: true },
		);
	});
}
