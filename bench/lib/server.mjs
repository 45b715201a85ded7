// The server under test: seeded local D1, `npm start`'s server with --env bench, and the process
// tree it spawned, which is what memory is read from and what is stopped at the end, all of it.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { BASE, HISTORY_RUNS, PORT, root, sleep } from "./config.mjs";

/** 10,000 archived runs, a third of each status, written straight into the local D1. */
export function seedHistory(state) {
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

/**
 * Starts scripts/start.mjs --env bench in its own process group, persisting to `state`, and
 * waits for /health. The model is the scripted stub; every phase but the outage plans with rules.
 */
export async function startServer(state, llmUrl) {
	const server = spawn(
		process.execPath,
		[
			path.join(root, "scripts/start.mjs"),
			...["--env", "bench", "--port", String(PORT), "--ip", "127.0.0.1", "--persist-to", state],
		],
		{
			cwd: root,
			stdio: [
				"ignore",
				openSync(path.join(state, "server.log"), "w"),
				openSync(path.join(state, "server.err.log"), "w"),
			],
			detached: true,
			env: {
				...process.env,
				OPENAI_BASE_URL: llmUrl,
				OPENAI_TIMEOUT_MS: "1000",
				DEFAULT_PLANNER: "rules",
			},
		},
	);
	for (let attempt = 0; attempt < 120; attempt += 1) {
		if (server.exitCode !== null) break;
		try {
			const health = await fetch(`${BASE}/health`, { signal: AbortSignal.timeout(2_000) });
			if (health.ok) return server;
		} catch {
			// not up yet
		}
		await sleep(500);
	}
	const errors = readFileSync(path.join(state, "server.err.log"), "utf8").slice(-2_000);
	throw Object.assign(new Error(`the server did not start:\n${errors}`), { server });
}

/** `pid` and all its descendants, from /proc/<pid>/task/<tid>/children. */
export function processTree(pid) {
	const tree = [];
	const queue = [pid];
	while (queue.length) {
		const next = queue.shift();
		tree.push(next);
		let tasks = [];
		try {
			tasks = readdirSync(`/proc/${next}/task`);
		} catch {
			continue; // gone
		}
		for (const task of tasks) {
			try {
				const children = readFileSync(`/proc/${next}/task/${task}/children`, "utf8");
				queue.push(...children.split(" ").filter(Boolean).map(Number));
			} catch {
				// the thread or process ended meanwhile
			}
		}
	}
	return tree;
}

function processStatus(pid) {
	try {
		return readFileSync(`/proc/${pid}/status`, "utf8");
	} catch {
		return null;
	}
}

const kb = (status, field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);

/**
 * Resident and peak memory, in MB, of the server's own processes: workerd's (the figure the
 * targets compare) and the whole tree's (wrangler's Node processes too). Other servers on the
 * machine are not counted.
 */
export function serverMemory(server) {
	let rss = 0;
	let peak = 0;
	let treeRss = 0;
	const processes = [];
	for (const pid of processTree(server.pid)) {
		const status = processStatus(pid);
		if (!status) continue;
		const name = /Name:\s+(\S+)/.exec(status)?.[1] ?? "?";
		const mb = kb(status, "VmRSS") / 1024;
		processes.push(name);
		treeRss += mb;
		if (name !== "workerd") continue;
		rss += mb;
		peak += kb(status, "VmHWM") / 1024;
	}
	return {
		rss_mb: Math.round(rss),
		peak_mb: Math.round(peak),
		tree_rss_mb: Math.round(treeRss),
		processes: processes.length,
		workerd_processes: processes.filter((name) => name === "workerd").length,
	};
}

const alive = (pid) => {
	const status = processStatus(pid);
	return status !== null && !/State:\s+Z/.test(status);
};

function signal(pid, name) {
	try {
		process.kill(pid, name);
	} catch {
		// already gone
	}
}

/** SIGTERM to the server's group and every process of its tree, SIGKILL to any left after 5 s. */
export async function stopServer(server) {
	const tree = processTree(server.pid);
	signal(-server.pid, "SIGTERM");
	for (const pid of tree) signal(pid, "SIGTERM");
	for (let wait = 0; wait < 50 && tree.some(alive); wait += 1) await sleep(100);
	const left = tree.filter(alive);
	for (const pid of left) signal(pid, "SIGKILL");
	return { processes: tree.length, killed: left.length };
}

/** For exit paths that cannot wait: SIGKILL to the group and the tree at once. */
export function killServer(server) {
	const tree = processTree(server.pid);
	signal(-server.pid, "SIGKILL");
	for (const pid of tree) signal(pid, "SIGKILL");
}

function directoryBytes(dir) {
	let total = 0;
	let entries = [];
	try {
		entries = readdirSync(dir, { withFileTypes: true });
	} catch {
		return 0; // removed meanwhile
	}
	for (const entry of entries) {
		const full = path.join(dir, entry.name);
		try {
			total += entry.isDirectory() ? directoryBytes(full) : statSync(full).size;
		} catch {
			// SQLite's -wal and -shm files come and go while the server runs
		}
	}
	return total;
}

/**
 * Bytes on disk per run object while the server runs: its SQLite database with its write-ahead
 * log, which holds every page a transaction wrote until SQLite checkpoints it.
 */
export function bytesPerRunObject(state) {
	const doRoot = path.join(state, "v3", "do");
	if (!existsSync(doRoot)) return null;
	const dir = readdirSync(doRoot).find((name) => name.endsWith("RunObject"));
	if (!dir) return null;
	let databases = 0;
	try {
		databases = readdirSync(path.join(doRoot, dir)).filter((name) =>
			name.endsWith(".sqlite"),
		).length;
	} catch {
		return null;
	}
	return databases ? Math.round(directoryBytes(path.join(doRoot, dir)) / databases) : null;
}

/**
 * Bytes per run object once the server has stopped: SQLite checkpoints each write-ahead log into
 * its database and deletes it when the last connection closes, so what is left is what a run
 * keeps (its pages: the event log, the alarm and key-value tables, the schema). The namespace's
 * shared metadata.sqlite is not a run's and is left out. Median and largest, over every run
 * object of the bench, and how many still had a log (an unclean stop).
 */
export function settledBytesPerRunObject(state) {
	const doRoot = path.join(state, "v3", "do");
	const dir = existsSync(doRoot)
		? readdirSync(doRoot).find((name) => name.endsWith("RunObject"))
		: undefined;
	if (!dir) return null;
	const names = readdirSync(path.join(doRoot, dir));
	const sizes = names
		.filter((name) => name.endsWith(".sqlite") && name !== "metadata.sqlite")
		.map((name) => statSync(path.join(doRoot, dir, name)).size)
		.sort((a, b) => a - b);
	if (sizes.length === 0) return null;
	return {
		objects: sizes.length,
		median_bytes: sizes[Math.floor(sizes.length / 2)],
		max_bytes: sizes.at(-1),
		with_wal_left: names.filter(
			(name) => name.endsWith(".sqlite-wal") && name !== "metadata.sqlite-wal",
		).length,
	};
}
