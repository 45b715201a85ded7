#!/usr/bin/env node
// `npm run bench`: starts the same local server as `npm start` (with `--env bench`, which adds the
// bench-only routes and classes of bench/worker.ts), drives it, and writes a JSON file and a
// markdown table to bench/results/. Every figure is read against floors measured in the same run
// on the same machine; every run the end-to-end rounds submit is accounted for on the server, and
// the bench exits non-zero when one did not complete. The method is in bench/README.md.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import autocannon from "autocannon";
import { startLlmStub } from "../scripts/llm-stub.mjs";
import {
	BASE,
	DRAIN_DEADLINE_MS,
	E2E_RUNS,
	HEALTH_INTERVAL_MS,
	KEEP_STATE,
	log,
	MAX_ATTEMPTS,
	machine,
	ONE_STEP,
	REQUEST_DEADLINE_MS,
	resultsDir,
	SECONDS,
	STATE_ROOT,
	STUCK_AFTER_MS,
	THREE_STEPS,
} from "./lib/config.mjs";
import { sampleHealth } from "./lib/http.mjs";
import { endToEnd, load, settle, workflowPeer } from "./lib/load.mjs";
import { enterPhase, phaseReport } from "./lib/monitor.mjs";
import { markdown, problems, targets } from "./lib/report.mjs";
import {
	dagSpeedup,
	keyPrefix,
	llmOutage,
	queuedVersusInline,
	scenarioResends,
	toolOutage,
} from "./lib/scenarios.mjs";
import {
	bytesPerRunObject,
	killServer,
	seedHistory,
	serverMemory,
	settledBytesPerRunObject,
	startServer,
	stopServer,
} from "./lib/server.mjs";

const postRun = (prompt) => ({
	path: "/runs",
	method: "POST",
	headers: { "content-type": "application/json" },
	body: JSON.stringify({ prompt }),
});

/** Floors, creation and history: fixed-duration load, settling between creation phases. */
async function loadPhases() {
	const floors = [];
	const creation = [];
	enterPhase("floors");
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
		enterPhase(name);
		for (const c of [1, 10, 50]) {
			creation.push(await load(name, { ...postRun(prompt), connections: c }));
			await settle();
		}
	}
	enterPhase("history");
	const history = await load("GET /runs?status=completed&limit=50", {
		path: "/runs?status=completed&limit=50",
		connections: 10,
	});
	return { floors, creation, history };
}

async function measure(server, state, llm, stamp) {
	enterPhase("warm-up");
	log("warming up");
	await autocannon({ url: `${BASE}/health`, duration: 2, connections: 10 });
	await autocannon({ url: `${BASE}/__bench/floor`, method: "POST", duration: 1, connections: 10 });

	const stopSampling = sampleHealth();
	let loaded;
	const rounds = [];
	const memory = {};
	let peer;
	try {
		loaded = await loadPhases();
		for (const round of [1, 2]) {
			enterPhase(`end to end, round ${round}`);
			log(`end to end, round ${round}`);
			rounds.push(await endToEnd(round, E2E_RUNS, stamp));
			if (round === 1) memory.bytes_per_run = bytesPerRunObject(state);
			memory[`after_round_${round}`] = serverMemory(server);
		}
		enterPhase("Workflow peer");
		log("workflow peer");
		peer = await workflowPeer(E2E_RUNS, stamp);
	} finally {
		await stopSampling();
	}
	keyPrefix(`scenario-${stamp}`);
	enterPhase("DAG speedup");
	log("DAG speedup");
	const dag = await dagSpeedup();
	enterPhase("LLM outage");
	log("LLM outage");
	const outage = await llmOutage(llm.url);
	enterPhase("queued versus inline");
	log("queued versus inline");
	const queued = await queuedVersusInline(200);
	enterPhase("tool outage");
	log("tool outage");
	const toolBreaker = await toolOutage();
	return {
		...loaded,
		end_to_end: { prompt: THREE_STEPS, rounds },
		workflow_peer: peer,
		dag,
		llm_outage: outage,
		queued_versus_inline: queued,
		tool_outage: toolBreaker,
		scenario_resends: scenarioResends(),
		memory,
	};
}

function write(report) {
	const json = `${JSON.stringify(report, null, 2)}\n`;
	const stamp = report.date.replace(/[:.]/g, "-");
	writeFileSync(path.join(resultsDir, `${stamp}.json`), json);
	writeFileSync(path.join(resultsDir, "latest.json"), json);
	const table = markdown(report);
	writeFileSync(path.join(resultsDir, "latest.md"), `${table}\n`);
	console.log(table);
}

const began = Date.now();
const state = mkdtempSync(path.join(STATE_ROOT, "agent-bench-"));
log(`state in ${state}`);
seedHistory(state);
const llm = await startLlmStub();
let server;
try {
	server = await startServer(state, llm.url);
} catch (error) {
	if (error.server) await stopServer(error.server);
	await llm.close();
	throw error;
}
// Whatever ends this process, the server's whole tree goes with it.
const killOnExit = () => killServer(server);
process.on("exit", killOnExit);
for (const [name, code] of [
	["SIGINT", 130],
	["SIGTERM", 143],
]) {
	process.on(name, () => process.exit(code));
}
try {
	const figures = await measure(server, state, llm, began.toString(36));
	const report = {
		date: new Date().toISOString(),
		machine: machine(),
		seconds_per_measurement: SECONDS,
		method: {
			request_deadline_ms: REQUEST_DEADLINE_MS,
			max_attempts: MAX_ATTEMPTS,
			stuck_after_ms: STUCK_AFTER_MS,
			drain_deadline_ms: DRAIN_DEADLINE_MS,
			health_interval_ms: HEALTH_INTERVAL_MS,
			end_to_end_list: "the default tenant's todo list, emptied before each round",
			state_root: STATE_ROOT,
			peer_step_outputs: "the sum, the added todo and the list, as the runtime records",
		},
		...figures,
		requests: phaseReport(),
		duration_s: Math.round((Date.now() - began) / 1000),
	};
	// Storage as it stays: measured once the server is down and SQLite has checkpointed.
	const stopped = await stopServer(server);
	log(`server stopped: ${stopped.processes} processes, ${stopped.killed} needed SIGKILL`);
	report.memory.settled_storage = settledBytesPerRunObject(state);
	report.targets = targets(report);
	report.problems = problems(report);
	write(report);
	log(`done in ${report.duration_s} s`);
	if (report.problems.length) {
		console.error(`\n[bench] FAILED: runs that did not complete:`);
		for (const problem of report.problems) console.error(`[bench]   ${problem}`);
		process.exitCode = 1;
	}
} finally {
	await stopServer(server); // already down after a full run: a no-op then
	process.off("exit", killOnExit);
	await llm.close();
	if (!KEEP_STATE) rmSync(state, { recursive: true, force: true });
}
