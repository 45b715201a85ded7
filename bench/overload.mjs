#!/usr/bin/env node
// `npm run bench:overload`: what the API does at and past its capacity. Serves the bench build on
// a fresh local state and drives one-step run creation three ways: 50 clients (at capacity), 300
// clients that honour Retry-After (past it), and 600 that resend at once (a flood). For each:
// answers by status with their latency, whether every 503 carried Retry-After, requests left
// unanswered, GET /health sampled throughout, and whether every accepted run then completed.
// BENCH_MAX_IN_FLIGHT sets MAX_IN_FLIGHT (the server's default otherwise). Writes
// bench/results/overload.{json,md}.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { migrate, serve } from "../scripts/lib/dev-server.mjs";
import { STATE_ROOT } from "./lib/config.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const PORT = Number(process.env.BENCH_PORT ?? 8796);
const BASE = `http://127.0.0.1:${PORT}`;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const MAX_IN_FLIGHT = process.env.BENCH_MAX_IN_FLIGHT;
const PROMPT = "calculate 2+3";
const DEADLINE_MS = 30_000;
const HEALTH_INTERVAL_MS = 250;
const DRAIN_DEADLINE_MS = 120_000;
const PHASES = [
	{ name: "at capacity", clients: 50, polite: true },
	{ name: "past capacity", clients: 300, polite: true },
	{ name: "flood", clients: 600, polite: false },
];
const log = (message) => console.error(`[overload] ${message}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted, p) {
	if (sorted.length === 0) return null;
	return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]);
}

function latencies(values, seconds) {
	const sorted = [...values].sort((a, b) => a - b);
	return {
		count: sorted.length,
		...(seconds ? { per_s: Math.round(sorted.length / seconds) } : {}),
		p50_ms: percentile(sorted, 0.5),
		p99_ms: percentile(sorted, 0.99),
		max_ms: sorted.length ? Math.round(sorted.at(-1)) : null,
	};
}

/** One client: creates runs until the phase ends; a polite one waits out Retry-After. */
async function client(until, polite, seen) {
	while (Date.now() < until) {
		const started = performance.now();
		let res;
		try {
			res = await fetch(`${BASE}/runs`, {
				method: "POST",
				headers: { "content-type": "application/json" },
				body: JSON.stringify({ prompt: PROMPT }),
				signal: AbortSignal.timeout(DEADLINE_MS),
			});
			await res.arrayBuffer();
		} catch {
			seen.unanswered.push(performance.now() - started);
			continue;
		}
		const ms = performance.now() - started;
		seen.by_status[res.status] ??= [];
		seen.by_status[res.status].push(ms);
		if (res.status !== 503 && res.status !== 429) continue;
		const retryAfter = res.headers.get("retry-after");
		if (retryAfter !== null) seen.with_retry_after += 1;
		if (polite) await sleep(Number(retryAfter ?? 1) * 1_000);
	}
}

/** GET /health every HEALTH_INTERVAL_MS until `until`, whether or not the last one answered. */
async function sampleHealth(until) {
	const samples = [];
	const pending = [];
	while (Date.now() < until) {
		const started = performance.now();
		pending.push(
			fetch(`${BASE}/health`, { signal: AbortSignal.timeout(DEADLINE_MS) })
				.then(async (res) => {
					await res.arrayBuffer();
					samples.push({ ms: performance.now() - started, ok: res.ok });
				})
				.catch(() => samples.push({ ms: DEADLINE_MS, ok: false })),
		);
		await sleep(HEALTH_INTERVAL_MS);
	}
	await Promise.all(pending);
	return {
		...latencies(samples.map((sample) => sample.ms)),
		failed: samples.filter((sample) => !sample.ok).length,
	};
}

/** Runs the server has finished, from its statistics. */
async function finishedRuns() {
	const stats = await (await fetch(`${BASE}/stats?since=2026-01-01`)).json();
	const byStatus = stats.runs?.by_status ?? {};
	return {
		completed: byStatus.completed ?? 0,
		failed: byStatus.failed ?? 0,
		cancelled: byStatus.cancelled ?? 0,
	};
}

async function drain(accepted) {
	const started = Date.now();
	let counts = await finishedRuns();
	while (counts.completed + counts.failed + counts.cancelled < accepted) {
		if (Date.now() - started > DRAIN_DEADLINE_MS) break;
		await sleep(500);
		counts = await finishedRuns();
	}
	return { ...counts, accepted, drain_s: Math.round((Date.now() - started) / 100) / 10 };
}

async function phase({ name, clients, polite }, acceptedBefore) {
	const seen = { by_status: {}, unanswered: [], with_retry_after: 0 };
	const began = Date.now();
	const until = began + SECONDS * 1_000;
	const [health] = await Promise.all([
		sampleHealth(until),
		...Array.from({ length: clients }, () => client(until, polite, seen)),
	]);
	const seconds = (Date.now() - began) / 1_000;
	const accepted = seen.by_status[201]?.length ?? 0;
	const shed = (seen.by_status[503]?.length ?? 0) + (seen.by_status[429]?.length ?? 0);
	const answers = Object.fromEntries(
		Object.entries(seen.by_status).map(([status, values]) => [status, latencies(values, seconds)]),
	);
	const runs = await drain(acceptedBefore + accepted);
	const figure = {
		name,
		clients,
		client: polite ? "honours Retry-After" : "resends at once",
		seconds: Math.round(seconds * 10) / 10,
		answers,
		shed_with_retry_after: `${seen.with_retry_after} of ${shed}`,
		unanswered: seen.unanswered.length,
		longest_wait_ms: Math.round(
			Math.max(0, ...seen.unanswered, ...Object.values(seen.by_status).flat()),
		),
		health,
		runs,
	};
	log(`${name}: ${JSON.stringify(figure)}`);
	return figure;
}

function markdown(report) {
	const cell = (figure) =>
		figure ? `${figure.per_s}/s, p50 ${figure.p50_ms}, p99 ${figure.p99_ms}` : "–";
	return [
		`Past capacity (bench/overload.mjs): one-step \`POST /runs\`, ${SECONDS} s per phase, MAX_IN_FLIGHT ${report.max_in_flight}; ${report.date}`,
		"",
		"| phase | clients | client | 201 (ms) | 503 (ms) | other | Retry-After on 503s | unanswered | longest ms | /health p50 / p99 / max ms | accepted runs completed |",
		"| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
		...report.phases.map((p) => {
			const other = Object.entries(p.answers)
				.filter(([status]) => status !== "201" && status !== "503")
				.map(([status, figure]) => `${status}: ${figure.count}`);
			const completed = p.runs.completed + p.runs.failed + p.runs.cancelled;
			return `| ${p.name} | ${p.clients} | ${p.client} | ${cell(p.answers[201])} | ${cell(p.answers[503])} | ${other.join(", ") || "–"} | ${p.shed_with_retry_after} | ${p.unanswered} | ${p.longest_wait_ms} | ${p.health.p50_ms} / ${p.health.p99_ms} / ${p.health.max_ms} | ${p.runs.completed} of ${p.runs.accepted} (${completed - p.runs.completed} not completed), in ${p.runs.drain_s} s |`;
		}),
		"",
	].join("\n");
}

const state = mkdtempSync(path.join(STATE_ROOT, "agent-overload-"));
migrate(state, ["--env", "bench"]);
const flags = ["--env", "bench", "--var", "DEFAULT_PLANNER:rules"];
if (MAX_IN_FLIGHT) flags.push("--var", `MAX_IN_FLIGHT:${MAX_IN_FLIGHT}`);
const stop = await serve(state, PORT, flags);
const phases = [];
try {
	let accepted = 0;
	for (const spec of PHASES) {
		const figure = await phase(spec, accepted);
		accepted = figure.runs.accepted;
		phases.push(figure);
	}
} finally {
	stop();
	await sleep(1_000);
	rmSync(state, { recursive: true, force: true });
}
const report = {
	date: new Date().toISOString(),
	seconds_per_phase: SECONDS,
	max_in_flight: MAX_IN_FLIGHT ?? "default",
	phases,
};
writeFileSync(
	path.join(root, "bench/results/overload.json"),
	`${JSON.stringify(report, null, "\t")}\n`,
);
const table = markdown(report);
writeFileSync(path.join(root, "bench/results/overload.md"), table);
console.log(table);
