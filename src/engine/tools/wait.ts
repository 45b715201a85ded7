import { z } from "zod";
import { defineTool, succeed } from "./types";

export const MAX_WAIT_MS = 24 * 60 * 60 * 1_000;

/**
 * A durable pause. In a run the object sleeps on its alarm (sleepMs), holding no CPU and no open
 * request; execute only serves callers outside a run.
 */
export const waitTool = defineTool({
	name: "wait",
	description: "Pauses for the given milliseconds (up to 24 hours) without holding any resources.",
	input: z
		.object({ ms: z.number().int().min(0).max(MAX_WAIT_MS).describe("How long to wait") })
		.strict(),
	mutates: false,
	sleepMs: ({ ms }) => ms,
	async execute({ ms }) {
		return succeed({ waited_ms: ms });
	},
});
