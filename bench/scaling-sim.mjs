#!/usr/bin/env node
// `npm run sim:scaling`: where each shared resource's limit bites at 1,000 and 10,000 runs/s,
// before and after the changes in docs/scaling.md. A model, not a measurement: every figure is
// the count of calls a run makes on each shared resource (read off the code, listed in
// docs/scaling.md) times the offered load, against the resource's published ceiling.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Published ceilings (Cloudflare docs): requests/s per Durable Object, messages/s per queue. */
const CEILING = { object: 1_000, queue: 5_000 };

/**
 * D1 runs one query at a time per database, so its ceiling is busy time: about 2 ms a batch
 * (round trip and commit) plus 0.1 ms a statement inside it. An assumption, stated as one.
 */
const D1_MS_PER_BATCH = 2;
const D1_MS_PER_STATEMENT = 0.1;

/** The workload: a 3-step run (calculator, todo.add, todo.list) unless a share says otherwise. */
const WORKLOAD = {
	tenants: 1_000,
	// The busiest tenant's share of all runs (a skewed tenant base).
	topTenantShare: 0.05,
	queuedStepsPerRun: 0.5,
	// Isolates serving the load, and how often each asks a tool's breaker object (1 s cache).
	isolatesPer1000Rps: 20,
	tools: 10,
	authRequired: true,
};

/** Calls per run on each shared resource, and how each resource is sharded, per design. */
const DESIGNS = {
	// At 9b1500b: each object wrote D1 itself, a live row and a final batch.
	before: { d1Batches: 2, d1Statements: 14, queues: 1, limiterCalls: 3, shards: 1, d1Shards: 1 },
	// Now: one message per run; the consumer writes 25 runs per D1 batch, their steps and events
	// in shared multi-row statements (about 2 statements a run).
	now: { d1Batches: 1 / 25, d1Statements: 2, queues: 1, limiterCalls: 3, shards: 1, d1Shards: 1 },
	// Proposed (docs/scaling.md): tool bulkheads, breakers, the archive queue and D1 sharded 16
	// ways, tenants' limiters and todo lists split 4 ways for the busiest tenants.
	proposed: {
		d1Batches: 1 / 25,
		d1Statements: 2,
		queues: 16,
		limiterCalls: 3,
		shards: 16,
		d1Shards: 16,
		tenantSplit: 4,
	},
};

function loads(runsPerSecond, design) {
	const w = WORKLOAD;
	const isolates = (runsPerSecond / 1_000) * w.isolatesPer1000Rps;
	const topTenantRuns = (runsPerSecond * w.topTenantShare) / (design.tenantSplit ?? 1);
	const queuedSteps = runsPerSecond * w.queuedStepsPerRun;
	const d1BusyMs = design.d1Batches * D1_MS_PER_BATCH + design.d1Statements * D1_MS_PER_STATEMENT;
	return [
		[
			"RateLimiter, busiest tenant",
			w.authRequired ? topTenantRuns * design.limiterCalls : 0,
			CEILING.object,
		],
		["TodoStore, busiest tenant", topTenantRuns * 2, CEILING.object],
		["Bulkhead, busiest tool", ((queuedSteps / w.tools) * 2) / design.shards, CEILING.object],
		["CircuitBreaker, a tool", (isolates * 2) / design.shards, CEILING.object],
		["run-archive queue", design.d1Batches < 1 ? runsPerSecond / design.queues : 0, CEILING.queue],
		["tool-work queue", queuedSteps / design.queues, CEILING.queue],
		// As a share of one database's time, scaled to the ceiling's units (1,000 = fully busy).
		["D1 database (busy ms/s)", (runsPerSecond * d1BusyMs) / design.d1Shards, 1_000],
	];
}

function table(runsPerSecond) {
	const lines = [
		`At ${runsPerSecond.toLocaleString("en")} runs/s (load per second on one instance):`,
		"",
		"| resource | ceiling | before | now | proposed |",
		"| --- | --- | --- | --- | --- |",
	];
	const rows = Object.values(DESIGNS).map((design) => loads(runsPerSecond, design));
	for (const [index, [name, , ceiling]] of rows[0].entries()) {
		const cells = rows.map((row) => {
			const load = row[index][1];
			const mark = load >= ceiling ? " **over**" : load >= ceiling / 2 ? " (near)" : "";
			return `${Math.round(load)}${mark}`;
		});
		lines.push(`| ${name} | ${ceiling} | ${cells.join(" | ")} |`);
	}
	return lines.join("\n");
}

const report = [
	"Scaling model (bench/scaling-sim.mjs): load on each shared resource, before, now and proposed.",
	`Workload: ${JSON.stringify(WORKLOAD)}`,
	"",
	table(1_000),
	"",
	table(10_000),
	"",
].join("\n");
const out = fileURLToPath(new URL("results/scaling-sim.md", import.meta.url));
writeFileSync(out, report);
console.log(report);
