#!/usr/bin/env node
// `npm run bench:stats`: /stats and one listing page over 100,000 archived runs. Seeds a fresh
// local D1 straight through its SQLite file (node:sqlite; wrangler's own import of 100,000 rows
// takes minutes), with the rollups the archive consumer would have written, then serves it with
// `wrangler dev` and times the two reads. Writes bench/results/stats-scale.{json,md}.
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { migrate, serve } from "../scripts/lib/dev-server.mjs";
import { bucketOf, combine, emptySummary } from "../src/engine/stats/summary.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const RUNS = Number(process.env.BENCH_STATS_RUNS ?? 100_000);
const SAMPLES = 50;
const PORT = Number(process.env.BENCH_PORT ?? 8798);
const state = mkdtempSync(path.join(os.tmpdir(), "agent-stats-"));
const log = (message) => console.error(`[stats] ${message}`);

function seed() {
	const dir = path.join(state, "v3/d1/miniflare-D1DatabaseObject");
	const file = readdirSync(dir).find(
		(name) => name.endsWith(".sqlite") && name !== "metadata.sqlite",
	);
	if (!file) throw new Error(`no D1 database under ${dir}`);
	const db = new DatabaseSync(path.join(dir, file));
	const statuses = ["completed", "failed", "cancelled"];
	const tools = ["calculator", "todo.add", "todo.list"];
	const run = db.prepare(
		"INSERT INTO runs (run_id, tenant, prompt, goal, status, planner, step_count, created_at, completed_at, duration_ms, archived_at) VALUES (?, 'default', ?, ?, ?, 'rules', 2, ?, ?, ?, ?)",
	);
	const contribution = db.prepare("INSERT INTO stats_contributions VALUES (?, 'default', ?, ?)");
	const hours = new Map();
	db.exec("BEGIN");
	for (let index = 0; index < RUNS; index += 1) {
		const created = new Date(Date.UTC(2025, 0, 1) + index * 30_000).toISOString();
		const status = statuses[index % 3];
		const duration = index % 997;
		run.run(
			`s${index}`,
			`calculate ${index}`,
			`calculate ${index}`,
			status,
			created,
			created,
			duration,
			created,
		);
		const one = { ...emptySummary(), runs: { [status]: 1 }, planners: { rules: 1 } };
		one.duration = { [bucketOf(duration)]: 1 };
		for (const offset of [0, 1]) {
			const attempts = 1 + (index % 2);
			one.tools[tools[(index + offset) % 3]] = {
				executions: attempts,
				failures: 0,
				retries: attempts - 1,
				duration: { [bucketOf(index % 101)]: 1 },
			};
		}
		if (status === "failed") one.errors = { "math_error\u0000Division by zero": 1 };
		contribution.run(`s${index}`, created, JSON.stringify(one));
		const hour = created.slice(0, 13);
		hours.set(hour, combine(hours.get(hour) ?? emptySummary(), one));
	}
	const hourRow = db.prepare("INSERT INTO stats_hours VALUES ('default', ?, ?)");
	const days = new Map();
	for (const [hour, summary] of hours) {
		hourRow.run(hour, JSON.stringify(summary));
		const day = hour.slice(0, 10);
		days.set(day, combine(days.get(day) ?? emptySummary(), summary));
	}
	const dayRow = db.prepare("INSERT INTO stats_days VALUES ('default', ?, ?)");
	for (const [day, summary] of days) dayRow.run(day, JSON.stringify(summary));
	db.exec("COMMIT");
	db.close();
	return hours.size;
}

async function time(pathname) {
	const ms = [];
	for (let sample = 0; sample < SAMPLES; sample += 1) {
		const started = performance.now();
		const res = await fetch(`http://127.0.0.1:${PORT}${pathname}`);
		if (!res.ok) throw new Error(`${pathname} answered ${res.status}`);
		await res.arrayBuffer();
		ms.push(performance.now() - started);
	}
	ms.sort((a, b) => a - b);
	const at = (p) => Math.round(ms[Math.min(ms.length - 1, Math.ceil(p * ms.length) - 1)]);
	return { p50: at(0.5), p99: at(0.99), max: Math.round(ms.at(-1)) };
}

migrate(state);
const hourRows = seed();
log(`seeded ${RUNS} runs in ${hourRows} hour rollups`);
const stop = await serve(state, PORT, ["--var", "ENVIRONMENT:development"]);
try {
	const results = {
		date: new Date().toISOString(),
		runs: RUNS,
		hour_rows: hourRows,
		stats_all: await time("/stats"),
		stats_window: await time("/stats?since=2025-01-10T00:30:00Z&until=2025-01-20T12:15:00Z"),
		listing_page: await time("/runs?status=failed&limit=50"),
	};
	const row = (name, { p50, p99, max }) => `| ${name} | ${p50} | ${p99} | ${max} |`;
	const markdown = [
		`/stats and listing over ${RUNS} archived runs (${hourRows} hour rollups), ${SAMPLES} requests each, c=1, ${results.date}`,
		"",
		"| read | p50 ms | p99 ms | max ms |",
		"| --- | --- | --- | --- |",
		row("GET /stats (all history)", results.stats_all),
		row("GET /stats (a window cutting through hours)", results.stats_window),
		row("GET /runs?status=failed&limit=50", results.listing_page),
		"",
	].join("\n");
	writeFileSync(
		path.join(root, "bench/results/stats-scale.json"),
		`${JSON.stringify(results, null, "\t")}\n`,
	);
	writeFileSync(path.join(root, "bench/results/stats-scale.md"), markdown);
	console.log(markdown);
} finally {
	stop();
}
