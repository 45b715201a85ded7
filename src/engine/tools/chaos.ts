import { z } from "zod";
import { defineTool, fail, succeed } from "./types";

const Behaviour = z
	.object({
		latency_ms: z.number().int().min(0).max(60_000).optional(),
		fail: z.enum(["retryable", "fatal"]).optional(),
		hang: z.boolean().optional(),
	})
	.strict();

/**
 * Fault injection for development and tests, never registered in production. Each attempt of a
 * step follows the behaviour at its index (the last one repeats), so a test can script "time out,
 * then fail, then succeed" deterministically.
 */
export const chaosTool = defineTool({
	name: "chaos",
	description: "Development only: scripted latency, failures and hangs, one behaviour per attempt.",
	input: z
		.object({
			behaviours: z.array(Behaviour).max(20).default([]),
			output: z.json().optional(),
		})
		.strict(),
	mutates: false,
	async execute({ behaviours, output }, ctx) {
		const behaviour = behaviours[Math.min(ctx.attempt, behaviours.length) - 1] ?? {};
		if (behaviour.hang) await abortion(ctx.signal);
		if (behaviour.latency_ms) await sleep(behaviour.latency_ms, ctx.signal);
		if (behaviour.fail) {
			const retryable = behaviour.fail === "retryable";
			return fail(
				"chaos",
				`Injected ${behaviour.fail} failure on attempt ${ctx.attempt}`,
				retryable,
			);
		}
		return succeed(output ?? { attempt: ctx.attempt });
	},
});

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
