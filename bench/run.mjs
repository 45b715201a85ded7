#!/usr/bin/env node
// `npm run bench`: starts the same local server as `npm start` (with `--env bench`, which adds the
// bench-only routes and classes of bench/worker.ts), drives it with autocannon, and writes a JSON
// file and a markdown table to bench/results/. Every figure is read against floors measured in
// the same run on the same machine.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { startLlmStub } from "../scripts/llm-stub.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const PORT = Number(process.env.BENCH_PORT ?? 8799);
const BASE = `http://127.0.0.1:${PORT}`;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const E2E_RUNS = Number(process.env.BENCH_E2E_RUNS ?? 500);
const HISTORY_RUNS = 10_000;
const ONE_STEP = "calculate 2+3";
const THREE_STEPS = "calculate 2+3, add a todo to bench and list my todos";
const state = mkdtempSync(path.join(os.tmpdir(), "agent-bench-"));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (message) => console.error(`[bench] ${message}`);

// ---------- server ----------

function seedHistory() {
	// 10,000 archived runs, a third of each status, written straight into the local D1.
	const statuses = ["completed", "failed", "cancelled"];
	const lines = [];
	for (let index = 0; index < HISTORY_RUNS; index += 1) {
		const created = new Date(Date.UTC(2025, 0, 1) + index * 60_000).toISOString();
		const status = statuses[index % 3];
		lines.push(
			`INSERT INTO runs (run_id, tenant, prompt, goal, status, planner, step_count, created_at, completed_at, duration_ms, archived_at) VALUES ('hist-${index}', 'default', 'calculate ${index}', 'calculate ${index}', '${status}', 'rules', 1, '${created}', '${created}', 5, '${created}');`,
		);
	}
	const file = path.join(state, "seed.sql");
	writeFileSync(file, lines.join("\n"));
	const wrangler = path.join(root, "node_modules/wrangler/bin/wrangler.js");
	const flags = ["--local", "--env", "bench", "--persist-to", state];
	for (const command of [
		["d1", "migrations", "apply", "DB", ...flags],
		["d1", "execute", "DB", ...flags, "--file", file],
	]) {
		const result = spawnSync(process.execPath, [wrangler, ...command], {
			cwd: root,
			env: { ...process.env, CI: "true" },
			encoding: "utf8",
		});
		if (result.status !== 0)
			throw new Error(`wrangler ${command.join(" ")} failed:\n${result.stderr}`);
	}
}

async function startServer(llmUrl) {
	const server = spawn(
		process.execPath,
		[
			path.join(root, "scripts/start.mjs"),
			"--env",
			"bench",
			"--port",
			String(PORT),
			"--ip",
			"127.0.0.1",
			"--persist-to",
			state,
		],
		{
			cwd: root,
			stdio: [
				"ignore",
				openSync(path.join(state, "server.log"), "w"),
				openSync(path.join(state, "server.err.log"), "w"),
			],
			detached: true,
			// The model is the scripted stub; every phase but the outage one plans with the rules.
			env: {
				...process.env,
				OPENAI_BASE_URL: llmUrl,
				OPENAI_TIMEOUT_MS: "1000",
				DEFAULT_PLANNER: "rules",
			},
		},
	);
	for (let attempt = 0; attempt < 120; attempt += 1) {
		try {
			if ((await fetch(`${BASE}/health`)).ok) return server;
		} catch {
			// not up yet
		}
		await sleep(500);
	}
	throw new Error("the server did not start");
}

function workerdPids() {
	const out = spawnSync("pgrep", ["-f", "workerd serve"], { encoding: "utf8" }).stdout;
	return out.split("\n").filter(Boolean).map(Number);
}

/** Current and peak resident memory of workerd, in MB, from /proc. */
function workerdMemory() {
	let rss = 0;
	let peak = 0;
	for (const pid of workerdPids()) {
		try {
			const status = readFileSync(`/proc/${pid}/status`, "utf8");
			rss += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
			peak += Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
		} catch {
			// gone
		}
	}
	return { rss_mb: Math.round(rss), peak_mb: Math.round(peak) };
}

function directoryBytes(dir) {
	let total = 0;
	for (const entry of readdirSync(dir, { withFileTypes: true })) {
		const full = path.join(dir, entry.name);
		total += entry.isDirectory() ? directoryBytes(full) : statSync(full).size;
	}
	return total;
}

/** Bytes on disk per run object: its SQLite database (event log, alarm, metadata). */
function bytesPerRunObject() {
	const doRoot = path.join(state, "v3", "do");
	const dir = readdirSync(doRoot).find((name) => name.endsWith("RunObject"));
	if (!dir) return null;
	const databases = readdirSync(path.join(doRoot, dir)).filter((name) =>
		name.endsWith(".sqlite"),
	).length;
	return databases ? Math.round(directoryBytes(path.join(doRoot, dir)) / databases) : null;
}

// ---------- measurements ----------

async function load(name, options) {
	const result = await autocannon({ duration: SECONDS, ...options, url: `${BASE}${options.path}` });
	const ok = result["2xx"];
	if (options.path === "/runs" && options.method === "POST") createdSoFar += ok;
	const figure = {
		name,
		connections: options.connections,
		requests: result.requests.total,
		ok,
		errors: result.errors + result.non2xx,
		rps: Math.round(ok / (result.duration || SECONDS)),
		p50_ms: result.latency.p50,
		p99_ms: result.latency.p99,
		max_ms: result.latency.max,
	};
	log(
		`${name} c=${options.connections}: ${figure.rps} rps, p50 ${figure.p50_ms} ms, p99 ${figure.p99_ms} ms`,
	);
	return figure;
}

const postRun = (prompt) => ({
	path: "/runs",
	method: "POST",
	headers: { "content-type": "application/json" },
	body: JSON.stringify({ prompt }),
});

let createdSoFar = 0;

/**
 * Waits until every run created so far is finished and archived (the seeded history is older):
 * the archived count reaches the created count, or stops moving for two seconds (autocannon's
 * 2xx tally can run ahead of the server's by requests it cut off at the end of a phase).
 */
async function drain() {
	let last = -1;
	let still = 0;
	for (let attempt = 0; attempt < 1200; attempt += 1) {
		const stats = await (await fetch(`${BASE}/stats?since=2026-01-01`)).json();
		const byStatus = stats.runs?.by_status ?? {};
		const finished = (byStatus.completed ?? 0) + (byStatus.failed ?? 0);
		const running = (byStatus.running ?? 0) + (byStatus.pending ?? 0);
		if (finished >= createdSoFar) return;
		still = finished === last && running === 0 ? still + 1 : 0;
		if (still >= 8) return;
		last = finished;
		await sleep(250);
	}
	throw new Error("runs did not drain");
}

async function getJson(pathname) {
	return (await fetch(`${BASE}${pathname}`)).json();
}

/** Submits `count` runs at concurrency 50, then waits until every one is terminal. */
async function endToEnd(count) {
	const ids = [];
	const started = Date.now();
	await autocannon({
		url: `${BASE}/runs`,
		connections: 50,
		amount: count,
		requests: [
			{
				...postRun(THREE_STEPS),
				onResponse: (status, body) => {
					if (status !== 201) return;
					ids.push(JSON.parse(body).run_id);
					createdSoFar += 1;
				},
			},
		],
	});
	await drain();
	const runs = await waitAll(
		ids,
		(id) => getJson(`/runs/${id}`),
		(run) => ["completed", "failed", "cancelled"].includes(run.status),
	);
	const done = runs
		.map((run) => Date.parse(run.completed_at) - Date.parse(run.created_at))
		.sort((a, b) => a - b);
	const lastDone = Math.max(...runs.map((run) => Date.parse(run.completed_at)));
	return {
		submitted: count,
		created: ids.length,
		failed: runs.filter((run) => run.status !== "completed").length + (count - ids.length),
		completed_per_s: Math.round((runs.length / ((lastDone - started) / 1000)) * 10) / 10,
		p50_ms: percentile(done, 0.5),
		p99_ms: percentile(done, 0.99),
	};
}

async function waitAll(ids, read, finished) {
	const results = new Map();
	for (let attempt = 0; attempt < 600 && results.size < ids.length; attempt += 1) {
		const pending = ids.filter((id) => !results.has(id));
		for (let index = 0; index < pending.length; index += 25) {
			const batch = pending.slice(index, index + 25);
			const answers = await Promise.all(batch.map(read));
			answers.forEach((answer, offset) => {
				if (finished(answer)) results.set(batch[offset], answer);
			});
		}
		// Polling is load on the server under test: pause between passes.
		if (results.size < ids.length) await sleep(1_000);
	}
	return [...results.values()];
}

async function workflowPeer(count) {
	const ids = [];
	const started = Date.now();
	const creation = await autocannon({
		url: `${BASE}/__bench/workflow`,
		connections: 50,
		amount: count,
		method: "POST",
		requests: [
			{
				method: "POST",
				onResponse: (status, body) => status === 201 && ids.push(JSON.parse(body).id),
			},
		],
	});
	const statuses = await waitAll(
		ids,
		(id) => getJson(`/__bench/workflow/${id}`),
		(s) => ["complete", "errored", "terminated"].includes(s.status),
	);
	const complete = statuses.filter((s) => s.status === "complete");
	const done = complete
		.map((s) => s.output.finished_at - s.output.submitted_at)
		.sort((a, b) => a - b);
	const lastDone = Math.max(...complete.map((s) => s.output.finished_at));
	return {
		submitted: count,
		created: ids.length,
		failed: count - complete.length,
		creation_rps: Math.round(creation["2xx"] / (creation.duration || 1)),
		completed_per_s: Math.round((complete.length / ((lastDone - started) / 1000)) * 10) / 10,
		p50_ms: percentile(done, 0.5),
		p99_ms: percentile(done, 0.99),
	};
}

async function dagSpeedup() {
	const steps = (chained) =>
		Array.from({ length: 8 }, (_, index) => ({
			step_number: index + 1,
			tool: "wait",
			input: { ms: 100 },
			depends_on: chained && index > 0 ? [index] : [],
		}));
	const time = async (chained) => {
		const samples = [];
		for (let round = 0; round < 3; round += 1) {
			const res = await fetch(`${BASE}/runs`, {
				method: "POST",
				headers: { "content-type": "application/json" },
				body: JSON.stringify({
					plan: { goal: chained ? "chained" : "parallel", steps: steps(chained) },
				}),
			});
			const { run_id } = await res.json();
			const [run] = await waitAll(
				[run_id],
				(id) => getJson(`/runs/${id}`),
				(r) => r.status === "completed",
			);
			samples.push(Date.parse(run.completed_at) - Date.parse(run.created_at));
		}
		return percentile(
			samples.sort((a, b) => a - b),
			0.5,
		);
	};
	const parallel = await time(false);
	const chained = await time(true);
	return {
		parallel_ms: parallel,
		chained_ms: chained,
		speedup: Math.round((chained / parallel) * 100) / 100,
	};
}

/**
 * 20 runs in a row that ask the model planner while the model never answers within the 1 s
 * timeout: the breaker should let one pay the timeout and send the rest straight to the rules.
 */
async function llmOutage() {
	await fetch(`${llm.url.replace(/\/v1$/, "")}/__script`, {
		method: "POST",
		body: JSON.stringify({ contains: "outage", case: "timeout" }),
	});
	const samples = [];
	for (let index = 0; index < 20; index += 1) {
		const started = Date.now();
		const res = await fetch(`${BASE}/runs`, {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ prompt: "show my outage todos", planner: "llm", cache: false }),
		});
		const body = await res.json();
		samples.push({
			ms: Date.now() - started,
			reason: body.plan?.planning?.fallback_reason ?? `status ${res.status}`,
		});
	}
	const paid = samples.filter((sample) => sample.reason === "timeout");
	const skipped = samples
		.filter((sample) => sample.reason === "circuit_open")
		.map((sample) => sample.ms)
		.sort((a, b) => a - b);
	return {
		runs: samples.length,
		paid_timeout: paid.length,
		timeout_ms: paid.map((sample) => sample.ms),
		circuit_open: skipped.length,
		circuit_open_p50_ms: percentile(skipped, 0.5),
	};
}

/** Posts a client-written plan; returns the run id. */
async function postPlan(steps, policy) {
	const res = await fetch(`${BASE}/runs`, {
		method: "POST",
		headers: { "content-type": "application/json" },
		body: JSON.stringify({ plan: { goal: "bench", steps }, ...(policy ? { policy } : {}) }),
	});
	return (await res.json()).run_id;
}

/**
 * The cost of the queue: `count` one-step runs of `chaos` (inline) and of `chaos.queued`, in
 * waves of 20 that each finish before the next starts (within the default bulkhead of 20 per
 * tool, so what is measured is the queue's round trip, not waiting for a slot), each run timed
 * from creation to completion.
 */
async function queuedVersusInline(count) {
	const measure = async (tool) => {
		const runs = [];
		for (let index = 0; index < count; index += 20) {
			const wave = await Promise.all(
				Array.from({ length: Math.min(20, count - index) }, () =>
					postPlan([{ step_number: 1, tool, input: { output: index } }]),
				),
			);
			runs.push(
				...(await waitAll(
					wave,
					(id) => getJson(`/runs/${id}`),
					(run) => ["completed", "failed"].includes(run.status),
				)),
			);
		}
		const took = runs
			.map((run) => Date.parse(run.completed_at) - Date.parse(run.created_at))
			.sort((a, b) => a - b);
		return {
			runs: runs.length,
			failed: runs.filter((run) => run.status !== "completed").length,
			p50_ms: percentile(took, 0.5),
			p99_ms: percentile(took, 0.99),
		};
	};
	return { inline: await measure("chaos"), queued: await measure("chaos.queued") };
}

/**
 * 30 runs in a row of a tool that hangs until its 1 s timeout, one attempt each: the tool's
 * breaker (5 failures) should let 5 pay the timeout and fail the rest at once.
 */
async function toolOutage() {
	const samples = [];
	for (let index = 0; index < 30; index += 1) {
		const id = await postPlan(
			[{ step_number: 1, tool: "chaos", input: { behaviours: [{ hang: true }] } }],
			{ max_attempts: 1, timeout_ms: 1_000 },
		);
		const [run] = await waitAll(
			[id],
			(runId) => getJson(`/runs/${runId}`),
			(r) => r.status === "failed",
		);
		const step = run.execution_log[0];
		samples.push({ code: step.error?.code, ms: step.duration_ms });
	}
	const fast = samples
		.filter((sample) => sample.code === "circuit_open")
		.map((sample) => sample.ms)
		.sort((a, b) => a - b);
	return {
		runs: samples.length,
		paid_timeout: samples.filter((sample) => sample.code === "timeout").length,
		circuit_open: fast.length,
		circuit_open_p50_ms: percentile(fast, 0.5),
	};
}

function percentile(sorted, p) {
	if (sorted.length === 0) return null;
	return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

const ratio = (value, floor) => (floor ? Math.round((value / floor) * 100) / 100 : null);

// ---------- report ----------

function markdown(report) {
	const rows = [];
	const floorDo = (c) =>
		report.floors.find((f) => f.name === "floor: DO create + put" && f.connections === c);
	rows.push(
		"| measurement | c | rps | p50 ms | p99 ms | max ms | rps / DO floor | p99 / DO floor p99 |",
	);
	rows.push("| --- | --- | --- | --- | --- | --- | --- | --- |");
	for (const figure of [...report.floors, ...report.creation]) {
		const floor = floorDo(figure.connections);
		rows.push(
			`| ${figure.name} | ${figure.connections} | ${figure.rps} | ${figure.p50_ms} | ${figure.p99_ms} | ${figure.max_ms} | ${ratio(figure.rps, floor?.rps)} | ${ratio(figure.p99_ms, floor?.p99_ms)} |`,
		);
	}
	const e = report.end_to_end;
	const w = report.workflow_peer;
	return [
		`Machine: ${report.machine.cpus}× ${report.machine.cpu}, ${report.machine.memory_gb} GB, Node ${report.machine.node}; ${report.date}`,
		"",
		...rows,
		"",
		"| end to end (500 runs, c=50) | completed/s | p50 ms | p99 ms | failed |",
		"| --- | --- | --- | --- | --- |",
		...e.rounds.map(
			(r, i) =>
				`| runtime, round ${i + 1} | ${r.completed_per_s} | ${r.p50_ms} | ${r.p99_ms} | ${r.failed} |`,
		),
		`| Workflow peer (creation ${w.creation_rps} rps) | ${w.completed_per_s} | ${w.p50_ms} | ${w.p99_ms} | ${w.failed} |`,
		"",
		`DAG: 8 parallel waits of 100 ms in ${report.dag.parallel_ms} ms, chained in ${report.dag.chained_ms} ms: ${report.dag.speedup}×.`,
		`LLM outage: ${report.llm_outage.runs} runs in a row against a model that never answers within the 1 s timeout: ${report.llm_outage.paid_timeout} paid the timeout (${report.llm_outage.timeout_ms.join(", ")} ms), ${report.llm_outage.circuit_open} fell back at once (circuit open, p50 ${report.llm_outage.circuit_open_p50_ms} ms).`,
		`Queued versus inline (200 one-step runs each, in waves of 20, creation to completion): inline p50 ${report.queued_versus_inline.inline.p50_ms} ms, p99 ${report.queued_versus_inline.inline.p99_ms} ms; queued p50 ${report.queued_versus_inline.queued.p50_ms} ms, p99 ${report.queued_versus_inline.queued.p99_ms} ms; failed ${report.queued_versus_inline.inline.failed + report.queued_versus_inline.queued.failed}.`,
		`Tool outage: ${report.tool_outage.runs} runs in a row of a tool that hangs until its 1 s timeout: ${report.tool_outage.paid_timeout} paid the timeout, ${report.tool_outage.circuit_open} failed at once (circuit open, step p50 ${report.tool_outage.circuit_open_p50_ms} ms).`,
		`History: one page of 50 runs by status out of ${HISTORY_RUNS} archived: p50 ${report.history.p50_ms} ms, p99 ${report.history.p99_ms} ms, ${report.history.rps} rps (c=10).`,
		`Memory: workerd peak RSS ${report.memory.after_round_1.peak_mb} MB after round 1, ${report.memory.after_round_2.peak_mb} MB after round 2 (RSS ${report.memory.after_round_1.rss_mb} → ${report.memory.after_round_2.rss_mb} MB); run storage ${report.memory.bytes_per_run} bytes per run.`,
		"",
		"| target | measured | met |",
		"| --- | --- | --- |",
		...report.targets.map((t) => `| ${t.target} | ${t.measured} | ${t.met ? "yes" : "no"} |`),
	].join("\n");
}

// ---------- main ----------

const began = Date.now();
log(`state in ${state}`);
seedHistory();
const llm = await startLlmStub();
const server = await startServer(llm.url);
const stop = () => {
	try {
		process.kill(-server.pid, "SIGTERM");
	} catch {
		// already gone
	}
};
process.on("exit", stop);
try {
	log("warming up");
	await autocannon({ url: `${BASE}/health`, duration: 2, connections: 10 });
	await autocannon({ url: `${BASE}/__bench/floor`, method: "POST", duration: 1, connections: 10 });

	const floors = [];
	const creation = [];
	for (const c of [1, 10, 50]) {
		floors.push(await load("floor: constant", { path: "/__bench/constant", connections: c }));
		floors.push(
			await load("floor: DO create + put", {
				path: "/__bench/floor",
				method: "POST",
				connections: c,
			}),
		);
	}
	for (const [name, prompt] of [
		["POST /runs, 1 step", ONE_STEP],
		["POST /runs, 3 steps", THREE_STEPS],
	]) {
		for (const c of [1, 10, 50]) {
			creation.push(await load(name, { ...postRun(prompt), connections: c }));
			await drain();
		}
	}
	const history = await load("GET /runs?status=completed&limit=50", {
		path: "/runs?status=completed&limit=50",
		connections: 10,
	});

	log("end to end, round 1");
	const round1 = await endToEnd(E2E_RUNS);
	await drain();
	const bytesPerRun = bytesPerRunObject();
	const memory1 = workerdMemory();
	log("end to end, round 2");
	const round2 = await endToEnd(E2E_RUNS);
	await drain();
	const memory2 = workerdMemory();
	log("workflow peer");
	const peer = await workflowPeer(E2E_RUNS);
	log("DAG speedup");
	const dag = await dagSpeedup();
	log("LLM outage");
	const outage = await llmOutage();
	log("queued versus inline");
	const queued = await queuedVersusInline(200);
	log("tool outage");
	const toolBreaker = await toolOutage();

	const doFloor50 = floors.find((f) => f.name === "floor: DO create + put" && f.connections === 50);
	const create50 = creation.filter((f) => f.connections === 50);
	const bestE2e = Math.min(round1.completed_per_s, round2.completed_per_s);
	const targets = [
		...create50.map((f) => ({
			target: `${f.name}: throughput ≥ 60% of the DO floor at c=50`,
			measured: `${Math.round((f.rps / doFloor50.rps) * 100)}%`,
			met: f.rps >= 0.6 * doFloor50.rps,
		})),
		...create50.map((f) => ({
			target: `${f.name}: p99 ≤ 2× the DO floor's p99 at c=50`,
			measured: `${ratio(f.p99_ms, doFloor50.p99_ms)}×`,
			met: f.p99_ms <= 2 * doFloor50.p99_ms,
		})),
		{
			target: "end-to-end completions/s ≥ 2× the Workflow peer",
			measured: `${ratio(bestE2e, peer.completed_per_s)}×`,
			met: bestE2e >= 2 * peer.completed_per_s,
		},
		{
			target: "DAG speedup ≥ 6× for 8 parallel waits",
			measured: `${dag.speedup}×`,
			met: dag.speedup >= 6,
		},
		{
			target: "zero failed runs",
			measured: `${round1.failed + round2.failed}`,
			met: round1.failed + round2.failed === 0,
		},
		{
			target: "workerd memory flat across two rounds (RSS within 15%)",
			measured: `${memory1.rss_mb} → ${memory2.rss_mb} MB`,
			met: memory2.rss_mb <= memory1.rss_mb * 1.15,
		},
	];
	const report = {
		date: new Date().toISOString(),
		machine: {
			cpus: os.cpus().length,
			cpu: os.cpus()[0]?.model ?? "unknown",
			memory_gb: Math.round(os.totalmem() / 2 ** 30),
			node: process.version,
		},
		seconds_per_measurement: SECONDS,
		floors,
		creation,
		history,
		end_to_end: { prompt: THREE_STEPS, rounds: [round1, round2] },
		workflow_peer: peer,
		dag,
		llm_outage: outage,
		queued_versus_inline: queued,
		tool_outage: toolBreaker,
		memory: { after_round_1: memory1, after_round_2: memory2, bytes_per_run: bytesPerRun },
		targets,
		duration_s: Math.round((Date.now() - began) / 1000),
	};
	const stamp = report.date.replace(/[:.]/g, "-");
	writeFileSync(
		path.join(root, "bench/results", `${stamp}.json`),
		`${JSON.stringify(report, null, 2)}\n`,
	);
	writeFileSync(
		path.join(root, "bench/results", "latest.json"),
		`${JSON.stringify(report, null, 2)}\n`,
	);
	const table = markdown(report);
	writeFileSync(path.join(root, "bench/results", "latest.md"), `${table}\n`);
	console.log(table);
	log(`done in ${report.duration_s} s`);
} finally {
	stop();
	await llm.close();
}
