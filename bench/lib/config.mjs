// Settings and constants shared by the bench's modules. The figures the method depends on are
// named here once, so bench/README.md can name them and the results can record them.
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../..", import.meta.url));
export const PORT = Number(process.env.BENCH_PORT ?? 8799);
export const BASE = `http://127.0.0.1:${PORT}`;
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
export const E2E_RUNS = Number(process.env.BENCH_E2E_RUNS ?? 1_000);
/** Connections of the end-to-end rounds and of the Workflow peer. */
export const E2E_CONNECTIONS = 50;
export const HISTORY_RUNS = 10_000;
/**
 * Where the server's local state goes: tmpfs when the machine has one. Each Durable Object is
 * a SQLite file here, so on a disk every figure (floor and peer included) also pays the host
 * file system's inode allocation and fsyncs, which no Cloudflare object pays, and which swing
 * with what was deleted in the minutes before (ext4 scans recently freed inodes).
 */
export const STATE_ROOT =
	process.env.BENCH_STATE_DIR ?? (existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir());
/** Keep the state directory after the run (it is deleted otherwise: thousands of files). */
export const KEEP_STATE = process.env.BENCH_KEEP_STATE === "1";
export const ONE_STEP = "calculate 2+3";
export const THREE_STEPS = "calculate 2+3, add a todo to bench and list my todos";

/** Every client request is abandoned after this long without an answer. */
export const REQUEST_DEADLINE_MS = 30_000;
/** A lost request (no answer, a reset, a 5xx) is sent again with the same key, up to this often. */
export const MAX_ATTEMPTS = 6;
/** A run that is not terminal this long after its last event is stuck. */
export const STUCK_AFTER_MS = 60_000;
/** An end-to-end round's runs must be terminal this long after its last submission is answered. */
export const DRAIN_DEADLINE_MS = 120_000;
/** Between phases: how long the runs created so far may take to finish and be archived. */
export const SETTLE_DEADLINE_MS = 300_000;
/** GET /health is sampled this often during the load phases. */
export const HEALTH_INTERVAL_MS = 250;

export const TARGETS = {
	creation_rps_of_floor: 0.6,
	creation_p99_of_floor: 2,
	e2e_of_peer: 2,
	dag_speedup: 6,
	memory_growth: 1.15,
	longest_wait_ms: 10_000,
	health_p99_ms: 1_000,
	storage_bytes_per_run: 28_000,
};

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const log = (message) => console.error(`[bench] ${message}`);

/** Nearest rank: the smallest value at or above the p-th fraction of a sorted list. */
export function percentile(sorted, p) {
	if (sorted.length === 0) return null;
	return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

export const ratio = (value, floor) => (floor ? Math.round((value / floor) * 100) / 100 : null);

/** The machine the figures were measured on. */
export function machine() {
	return {
		cpus: os.cpus().length,
		cpu: os.cpus()[0]?.model ?? "unknown",
		memory_gb: Math.round(os.totalmem() / 2 ** 30),
		node: process.version,
	};
}

export const resultsDir = path.join(root, "bench/results");
