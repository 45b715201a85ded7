import type { Tool, ToolFailure, ToolServices } from "./types";

/** What a dry run of a valid input does: say what would happen, or run a read-only tool. */
export type DryRun =
	| {
			executed: false;
			would: string;
			requires_approval: boolean;
			/** The refusal execution would meet, known now; null when none is foreseen. */
			would_fail: ToolFailure | null;
	  }
	| { executed: true };

/**
 * Dry runs tell the truth: a mutating tool only previews, with any refusal it would certainly
 * meet; a waiting tool is not waited for (a 20 s wait must not report `executed` after 18 ms);
 * a read-only tool runs for real.
 */
export function dryRunOf(tool: Tool, input: unknown, services: ToolServices): DryRun {
	if (tool.sleepMs) {
		const ms = tool.sleepMs(input);
		return {
			executed: false,
			would: `Wait ${ms} ms, durably, on the run's alarm`,
			requires_approval: tool.requiresApproval ?? false,
			would_fail: null,
		};
	}
	if (!tool.mutates) return { executed: true };
	return {
		executed: false,
		would: tool.preview?.(input) ?? `Call '${tool.name}' with this input`,
		requires_approval: tool.requiresApproval ?? false,
		would_fail: tool.precheck?.(input, services) ?? null,
	};
}
