#!/usr/bin/env node
// `npm run bench:overload`: what the API does at and past its capacity. Serves the bench build on
// a fresh local state and drives one-step run creation in three phases: 50 clients, 300 clients
// that honour Retry-After, and 600 (more than the default MAX_IN_FLIGHT of 500) that resend at
// once. For each: answers by status with their latency, whether each 503 was the API's own
// `overloaded` with Retry-After, requests left unanswered, GET /health sampled throughout, and a
// census of every accepted run. BENCH_MAX_IN_FLIGHT sets MAX_IN_FLIGHT. Writes
// bench/results/overload.{json,md} (overload-max-in-flight-<n>.* with BENCH_MAX_IN_FLIGHT). The method is in bench/README.md ("Past capacity").
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { migrate, serve } from "../scripts/lib/dev-server.mjs";
import { classify, watch } from "./lib/census.mjs";
import {
	DRAIN_DEADLINE_MS,
	KEEP_STATE,
	log,
	ONE_STEP,
	PORT,
	percentile,
	resultsDir,
	STATE_ROOT,
	sleep,
} from "./lib/config.mjs";
import { Lost, request, sampleHealth } from "./lib/http.mjs";
import { enterPhase, phaseReport } from "./lib/monitor.mjs";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const MAX_IN_FLIGHT = process.env.BENCH_MAX_IN_FLIGHT;
const PHASES = [
	{ clients: 50, polite: true },
	{ clients: 300, polite: true },
	{ clients: 600, polite: false },
];
const CATEGORIES = ["completed", "failed", "cancelled", "stuck", "lost", "unread"];

function latencies(values, seconds) {
	const sorted = [...values].sort((a, b) => a - b);
	return {
		count: sorted.length,
		per_s: Math.round(sorted.length / seconds),
		p50_ms: percentile(sorted, 0.5),
		p99_ms: percentile(sorted, 0.99),
		max_ms: sorted.at(-1) ?? null,
	};
}

/** One client: creates runs until `until`; a polite one waits out Retry-After when refused. */
async function client(until, polite, seen) {
	while (Date.now() < until) {
		let answer;
		try {
			answer = await request("/runs", { method: "POST", json: { prompt: ONE_STEP } });
		} catch (error) {
			if (!(error instanceof Lost)) throw error;
			// A refused connection fails at once: pause, so a dead server is not spun on.
			await sleep(100);
			continue;
		}
		const ms = Math.round(answer.ms);
		if (!seen.answers.has(answer.status)) seen.answers.set(answer.status, []);
		seen.answers.get(answer.status).push(ms);
		if (answer.status === 201) seen.accepted.push(answer.body.run_id);
		if (answer.status !== 503 && answer.status !== 429) continue;
		const retryAfter = answer.headers.get("retry-after");
		// A 503 from wrangler's proxy is not the API shedding load.
		const own = answer.status === 429 || answer.body?.error?.code === "overloaded";
		if (own && retryAfter !== null) seen.shedWithRetryAfter += 1;
		if (polite) await sleep(Math.min(Number(retryAfter ?? 1) * 1_000, until - Date.now()));
	}
}

async function phase({ clients, polite }) {
	const name = `${clients} clients, ${polite ? "honouring Retry-After" : "resending at once"}`;
	log(name);
	enterPhase(name);
	const seen = { answers: new Map(), accepted: [], shedWithRetryAfter: 0 };
	const began = Date.now();
	const stopSampling = sampleHealth();
	try {
		await Promise.all(
			Array.from({ length: clients }, () => client(began + SECONDS * 1_000, polite, seen)),
		);
	} finally {
		await stopSampling();
	}
	const seconds = (Date.now() - began) / 1_000;
	// The census's own requests are not the phase's.
	enterPhase(`${name}: census`);
	const statuses = await watch("/__bench/census", seen.accepted, Date.now() + DRAIN_DEADLINE_MS);
	const runs = Object.fromEntries(CATEGORIES.map((category) => [category, 0]));
	for (const id of seen.accepted) runs[classify(statuses.get(id), Date.now(), true)] += 1;
	const shed = (seen.answers.get(503)?.length ?? 0) + (seen.answers.get(429)?.length ?? 0);
	return {
		name,
		clients,
		polite,
		seconds: Math.round(seconds * 10) / 10,
		answers: Object.fromEntries(
			[...seen.answers].map(([status, values]) => [status, latencies(values, seconds)]),
		),
		shed,
		shed_with_retry_after: seen.shedWithRetryAfter,
		runs: { accepted: seen.accepted.length, ...runs },
	};
}

function markdown(report) {
	const cell = (figure) =>
		figure ? `${figure.per_s}/s, p50 ${figure.p50_ms}, p99 ${figure.p99_ms}` : "–";
	const rows = report.phases.map((p) => {
		const other = Object.entries(p.answers)
			.filter(([status]) => status !== "201" && status !== "503")
			.map(([status, figure]) => `${status}: ${figure.count}`);
		const { accepted, completed } = p.runs;
		const bad = CATEGORIES.filter((category) => category !== "completed" && p.runs[category]);
		const notCompleted = bad.map((category) => `${p.runs[category]} ${category}`).join(", ");
		const health = p.requests?.health;
		return `| ${p.name} | ${cell(p.answers[201])} | ${cell(p.answers[503])} | ${other.join(", ") || "–"} | ${p.shed_with_retry_after} of ${p.shed} | ${p.requests?.unanswered ?? 0} | ${p.requests?.longest_wait_ms ?? "–"} | ${health ? `${health.p50_ms} / ${health.p99_ms} / ${health.max_ms}` : "–"} | ${completed} of ${accepted}${notCompleted ? ` (${notCompleted})` : ""} |`;
	});
	return [
		`Past capacity (bench/overload.mjs): one-step \`POST /runs\`, ${report.seconds_per_phase} s per phase, MAX_IN_FLIGHT ${report.max_in_flight}; ${report.date}`,
		"",
		"| phase | 201 (ms) | 503 (ms) | other | shed with the API's code and Retry-After | unanswered | longest wait ms | /health p50 / p99 / max ms | accepted runs completed |",
		"| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
		...rows,
		"",
	].join("\n");
}

async function main() {
	const state = mkdtempSync(path.join(STATE_ROOT, "agent-overload-"));
	log(`state in ${state}`);
	const phases = [];
	try {
		migrate(state, ["--env", "bench"]);
		const flags = ["--env", "bench", "--var", "DEFAULT_PLANNER:rules"];
		if (MAX_IN_FLIGHT) flags.push("--var", `MAX_IN_FLIGHT:${MAX_IN_FLIGHT}`);
		const stop = await serve(state, PORT, flags);
		try {
			for (const spec of PHASES) phases.push(await phase(spec));
		} finally {
			try {
				stop();
			} catch {
				// The server is already gone.
			}
			await sleep(1_000);
		}
	} finally {
		if (!KEEP_STATE) rmSync(state, { recursive: true, force: true });
	}
	const byPhase = new Map(phaseReport().phases.map((entry) => [entry.phase, entry]));
	return phases.map((figure) => ({ ...figure, requests: byPhase.get(figure.name) }));
}

const phases = await main();
const report = {
	date: new Date().toISOString(),
	seconds_per_phase: SECONDS,
	max_in_flight: MAX_IN_FLIGHT ?? "500 (the default)",
	phases,
};
const name = MAX_IN_FLIGHT ? `overload-max-in-flight-${MAX_IN_FLIGHT}` : "overload";
writeFileSync(path.join(resultsDir, `${name}.json`), `${JSON.stringify(report, null, "\t")}\n`);
const table = markdown(report);
writeFileSync(path.join(resultsDir, `${name}.md`), table);
console.log(table);
