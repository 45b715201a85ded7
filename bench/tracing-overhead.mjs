#!/usr/bin/env node
// `npm run bench:tracing`: what tracing costs. Serves the bench build with TRACING=on and
// TRACING=off, after a warm-up round, in the order on, off, off, on, repeated PAIRS times, and
// measures each time: 3-step run creation (autocannon, c=20) and end to end (200 runs submitted
// at c=20, until all completed). The spread between rounds of the same setting is reported as the
// noise the overhead has to be read against. BENCH_LOG_LEVEL sets LOG_LEVEL (default info), since
// under `wrangler dev` every log line crosses the inspector into wrangler's Node process. Writes
// bench/results/tracing-overhead[-<level>].{json,md}.
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { migrate, serve } from "../scripts/lib/dev-server.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const PORT = Number(process.env.BENCH_PORT ?? 8797);
const BASE = `http://127.0.0.1:${PORT}`;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const RUNS = 200;
const PAIRS = Number(process.env.BENCH_PAIRS ?? 2);
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? "info";
const PROMPT = "calculate 2+3, add a todo to bench and list my todos";
const log = (message) => console.error(`[tracing] ${message}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function creation() {
	const result = await autocannon({
		url: `${BASE}/runs`,
		method: "POST",
		headers: { "content-type": "application/json" },
		body: JSON.stringify({ prompt: PROMPT }),
		connections: 20,
		duration: SECONDS,
	});
	return { rps: Math.round(result.requests.average), p99_ms: result.latency.p99 };
}

async function endToEnd() {
	const started = Date.now();
	const ids = [];
	let next = 0;
	await Promise.all(
		Array.from({ length: 20 }, async () => {
			while (next < RUNS) {
				next += 1;
				const res = await fetch(`${BASE}/runs`, {
					method: "POST",
					headers: { "content-type": "application/json" },
					body: JSON.stringify({ prompt: PROMPT }),
				});
				ids.push((await res.json()).run_id);
			}
		}),
	);
	const pending = new Set(ids);
	while (pending.size > 0 && Date.now() - started < 120_000) {
		for (const id of [...pending]) {
			const run = await (await fetch(`${BASE}/runs/${id}`)).json();
			if (run.status === "completed" || run.status === "failed") pending.delete(id);
		}
		if (pending.size > 0) await sleep(250);
	}
	if (pending.size > 0) throw new Error(`${pending.size} runs did not finish`);
	return { runs_per_s: Math.round((RUNS / ((Date.now() - started) / 1_000)) * 10) / 10 };
}

const results = { on: [], off: [] };
// A first, unmeasured round warms the machine (the first server of a run is always slower), then
// on, off, off, on, so that a drift over the run weighs on both sides alike.
const order = ["on", ...Array.from({ length: PAIRS }, () => ["on", "off", "off", "on"]).flat()];
for (const [round, tracing] of order.entries()) {
	const state = mkdtempSync(path.join(os.tmpdir(), "agent-tracing-"));
	migrate(state, ["--env", "bench"]);
	const flags = [
		...["--env", "bench", "--var", `TRACING:${tracing}`, "--var", "DEFAULT_PLANNER:rules"],
		...["--var", `LOG_LEVEL:${LOG_LEVEL}`],
	];
	const stop = await serve(state, PORT, flags);
	try {
		await autocannon({ url: `${BASE}/health`, duration: 1, connections: 10 });
		const measured = { creation: await creation(), end_to_end: await endToEnd() };
		log(
			`tracing ${tracing}${round === 0 ? " (warm-up, not counted)" : ""}: ${JSON.stringify(measured)}`,
		);
		if (round > 0) results[tracing].push(measured);
	} finally {
		stop();
		await sleep(1_000);
	}
}

const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length;
const round = (value) => Math.round(value * 10) / 10;
const creationOn = round(mean(results.on.map((r) => r.creation.rps)));
const creationOff = round(mean(results.off.map((r) => r.creation.rps)));
const e2eOn = round(mean(results.on.map((r) => r.end_to_end.runs_per_s)));
const e2eOff = round(mean(results.off.map((r) => r.end_to_end.runs_per_s)));
const cost = (on, off) => Math.round((1 - on / off) * 1_000) / 10;
// The widest gap between two rounds of the same setting, as a share of their mean: the noise.
const spread = (values) =>
	Math.round(((Math.max(...values) - Math.min(...values)) / mean(values)) * 1_000) / 10;
const noise = (pick) => Math.max(spread(results.on.map(pick)), spread(results.off.map(pick)));
const creationNoise = noise((r) => r.creation.rps);
const e2eNoise = noise((r) => r.end_to_end.runs_per_s);
const summary = {
	date: new Date().toISOString(),
	log_level: LOG_LEVEL,
	results,
	creation_rps: {
		on: creationOn,
		off: creationOff,
		overhead_percent: cost(creationOn, creationOff),
		noise_percent: creationNoise,
	},
	end_to_end_runs_per_s: {
		on: e2eOn,
		off: e2eOff,
		overhead_percent: cost(e2eOn, e2eOff),
		noise_percent: e2eNoise,
	},
};
const markdown = [
	`Tracing overhead (bench/tracing-overhead.mjs), LOG_LEVEL=${LOG_LEVEL}, a warm-up round then on, off, off, on ×${PAIRS}, ${summary.date}`,
	"",
	"| measurement | tracing on | tracing off | overhead | noise (widest same-setting gap) |",
	"| --- | --- | --- | --- | --- |",
	`| 3-step creation, c=20, rps | ${creationOn} | ${creationOff} | ${summary.creation_rps.overhead_percent}% | ${creationNoise}% |`,
	`| end to end, 200 runs at c=20, runs/s | ${e2eOn} | ${e2eOff} | ${summary.end_to_end_runs_per_s.overhead_percent}% | ${e2eNoise}% |`,
	"",
].join("\n");
const name = LOG_LEVEL === "info" ? "tracing-overhead" : `tracing-overhead-${LOG_LEVEL}`;
writeFileSync(
	path.join(root, `bench/results/${name}.json`),
	`${JSON.stringify(summary, null, "\t")}\n`,
);
writeFileSync(path.join(root, `bench/results/${name}.md`), markdown);
console.log(markdown);
