import type { Rule } from "./rule";

const UNIT_MS: Record<string, number> = {
	ms: 1,
	millisecond: 1,
	milliseconds: 1,
	s: 1_000,
	sec: 1_000,
	secs: 1_000,
	second: 1_000,
	seconds: 1_000,
	min: 60_000,
	mins: 60_000,
	minute: 60_000,
	minutes: 60_000,
	h: 3_600_000,
	hr: 3_600_000,
	hrs: 3_600_000,
	hour: 3_600_000,
	hours: 3_600_000,
};

const WAIT =
	/^(?:wait|pause|sleep|hold on|delay)(?:\s+for)?\s+(\d+(?:\.\d+)?|an?|one)\s*(ms|milliseconds?|s|secs?|seconds?|mins?|minutes?|h|hrs?|hours?)$/i;

/** "wait 5 seconds", "pause for 2 minutes", "sleep 100 ms", "wait an hour". */
export const waitRule: Rule = {
	name: "wait",
	match(clause) {
		const match = WAIT.exec(clause);
		const amount = match?.[1]?.toLowerCase();
		const unit = match?.[2]?.toLowerCase();
		if (!amount || !unit) return undefined;
		const count = amount === "a" || amount === "an" || amount === "one" ? 1 : Number(amount);
		const ms = Math.round(count * (UNIT_MS[unit] ?? Number.NaN));
		if (!Number.isFinite(ms)) return undefined;
		return { tool: "wait", input: { ms }, reasoning: `Wait ${count} ${unit}` };
	},
};
