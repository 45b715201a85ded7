#!/usr/bin/env node
// `npm run bench:tracing`: what tracing costs. Serves the bench build with TRACING=on and
// TRACING=off, after a warm-up round, in the order on, off, off, on, and measures each time: 3-step run creation
// (autocannon, c=20) and end to end (200 runs submitted at c=20, until all completed). Writes
// bench/results/tracing-overhead.{json,md}.
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { migrate, serve } from "./lib/dev-server.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const PORT = Number(process.env.BENCH_PORT ?? 8797);
const BASE = `http://127.0.0.1:${PORT}`;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const RUNS = 200;
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
for (const [round, tracing] of ["on", "on", "off", "off", "on"].entries()) {
	const state = mkdtempSync(path.join(os.tmpdir(), "agent-tracing-"));
	migrate(state, ["--env", "bench"]);
	const flags = ["--env", "bench", "--var", `TRACING:${tracing}`, "--var", "DEFAULT_PLANNER:rules"];
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
const summary = {
	date: new Date().toISOString(),
	results,
	creation_rps: {
		on: creationOn,
		off: creationOff,
		overhead_percent: cost(creationOn, creationOff),
	},
	end_to_end_runs_per_s: { on: e2eOn, off: e2eOff, overhead_percent: cost(e2eOn, e2eOff) },
};
const markdown = [
	`Tracing overhead (bench/tracing-overhead.mjs), a warm-up round then on, off, off, on, ${summary.date}`,
	"",
	"| measurement | tracing on | tracing off | overhead |",
	"| --- | --- | --- | --- |",
	`| 3-step creation, c=20, rps | ${creationOn} | ${creationOff} | ${summary.creation_rps.overhead_percent}% |`,
	`| end to end, 200 runs at c=20, runs/s | ${e2eOn} | ${e2eOff} | ${summary.end_to_end_runs_per_s.overhead_percent}% |`,
	"",
].join("\n");
writeFileSync(
	path.join(root, "bench/results/tracing-overhead.json"),
	`${JSON.stringify(summary, null, "\t")}\n`,
);
writeFileSync(path.join(root, "bench/results/tracing-overhead.md"), markdown);
console.log(markdown);
