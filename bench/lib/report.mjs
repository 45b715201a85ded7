// The report: targets, the problems that fail the bench, and the markdown of results/latest.md.
import { badRuns } from "./census.mjs";
import { E2E_CONNECTIONS, E2E_RUNS, HISTORY_RUNS, ratio, TARGETS } from "./config.mjs";

/** The targets and whether this run met them. */
export function targets(report) {
	const { floors, creation, end_to_end, workflow_peer: peer, dag, memory, requests } = report;
	const floor = floors.find((f) => f.name === "floor: DO create + put" && f.connections === 50);
	const create50 = creation.filter((f) => f.connections === 50);
	const rounds = end_to_end.rounds;
	const slowest = Math.min(...rounds.map((round) => round.completed_per_s));
	const notCompleted = rounds.reduce((sum, round) => sum + round.not_completed, 0);
	const { after_round_1: m1, after_round_2: m2 } = memory;
	return [
		...create50.map((f) => ({
			target: `${f.name}: throughput ≥ ${TARGETS.creation_rps_of_floor * 100}% of the DO floor at c=50`,
			measured: `${Math.round((f.rps / floor.rps) * 100)}%`,
			met: f.rps >= TARGETS.creation_rps_of_floor * floor.rps,
		})),
		...create50.map((f) => ({
			target: `${f.name}: p99 ≤ ${TARGETS.creation_p99_of_floor}× the DO floor's p99 at c=50`,
			measured: `${ratio(f.p99_ms, floor.p99_ms)}×`,
			met: f.p99_ms <= TARGETS.creation_p99_of_floor * floor.p99_ms,
		})),
		{
			target: `end-to-end completions/s ≥ ${TARGETS.e2e_of_peer}× the Workflow peer`,
			measured: `${ratio(slowest, peer.completed_per_s)}×`,
			met: slowest >= TARGETS.e2e_of_peer * peer.completed_per_s,
		},
		{
			target: `DAG speedup ≥ ${TARGETS.dag_speedup}× for 8 parallel waits`,
			measured: `${dag.speedup}×`,
			met: dag.speedup >= TARGETS.dag_speedup,
		},
		{
			target: "zero failed runs (every submitted run completed)",
			measured: `${notCompleted}`,
			met: notCompleted === 0,
		},
		...rounds.map((round, index) => ({
			target: `round ${index + 1}: 0 failed and 0 stuck runs (server census)`,
			measured: `${round.census.failed} failed, ${round.census.stuck} stuck`,
			met: round.census.failed === 0 && round.census.stuck === 0,
		})),
		{
			target: `workerd memory flat across two rounds (RSS within ${Math.round((TARGETS.memory_growth - 1) * 100)}%)`,
			measured: `${m1.rss_mb} → ${m2.rss_mb} MB`,
			met: m2.rss_mb <= m1.rss_mb * TARGETS.memory_growth,
		},
		{
			target: `storage per finished run ≤ ${TARGETS.storage_bytes_per_run / 1000} KB (median, after checkpoint)`,
			measured: memory.settled_storage
				? `${memory.settled_storage.median_bytes} bytes (largest ${memory.settled_storage.max_bytes}, ${memory.settled_storage.objects} objects)`
				: "not measured",
			met:
				memory.settled_storage !== null &&
				memory.settled_storage !== undefined &&
				memory.settled_storage.median_bytes <= TARGETS.storage_bytes_per_run,
		},
		{
			target: `longest unanswered request < ${TARGETS.longest_wait_ms / 1000} s`,
			measured: `${requests.longest_wait_ms} ms`,
			met: requests.longest_wait_ms < TARGETS.longest_wait_ms,
		},
		{
			target: `/health p99 < ${TARGETS.health_p99_ms / 1000} s during load`,
			measured: `${requests.health.p99_ms} ms`,
			met: requests.health.p99_ms !== null && requests.health.p99_ms < TARGETS.health_p99_ms,
		},
	];
}

/** What fails the bench: any run of a round or of the peer that did not complete, any failed run
 * of the queued-versus-inline scenario. Each problem names a few of its runs. */
export function problems(report) {
	const found = [];
	const check = (label, counts) => {
		if (badRuns(counts) === 0) return;
		const named = ["failed", "cancelled", "stuck", "refused", "lost", "unread", "merged"]
			.filter((category) => counts[category])
			.map((category) => `${counts[category]} ${category}`);
		if (counts.duplicates) named.push(`${counts.duplicates} duplicate runs on the server`);
		found.push(`${label}: ${named.join(", ")}; e.g. ${JSON.stringify(counts.examples)}`);
	};
	for (const [index, round] of report.end_to_end.rounds.entries()) {
		check(`round ${index + 1}`, round.census);
	}
	check("Workflow peer", report.workflow_peer.census);
	const { inline, queued } = report.queued_versus_inline;
	if (inline.failed + queued.failed > 0) {
		found.push(`queued versus inline: ${inline.failed + queued.failed} runs failed`);
	}
	return found;
}

function censusRow(label, round) {
	const c = round.census;
	return `| ${label} | ${c.submitted} | ${c.completed} | ${c.failed} | ${c.cancelled} | ${c.stuck} | ${c.refused} | ${c.lost + c.unread} | ${round.resends.total} |`;
}

/** results/latest.md: the tables, one line per scenario, the targets and any problems. */
export function markdown(report) {
	const floorDo = (c) =>
		report.floors.find((f) => f.name === "floor: DO create + put" && f.connections === c);
	const load = [...report.floors, ...report.creation].map((figure) => {
		const floor = floorDo(figure.connections);
		return `| ${figure.name} | ${figure.connections} | ${figure.rps} | ${figure.p50_ms} | ${figure.p99_ms} | ${figure.max_ms} | ${ratio(figure.rps, floor?.rps)} | ${ratio(figure.p99_ms, floor?.p99_ms)} | ${figure.lost} |`;
	});
	const rounds = report.end_to_end.rounds;
	const w = report.workflow_peer;
	const { dag, llm_outage: llm, queued_versus_inline: q, tool_outage: tool, history } = report;
	const { after_round_1: m1, after_round_2: m2 } = report.memory;
	const fmt = (value) => value ?? "–";
	return [
		`Machine: ${report.machine.cpus}× ${report.machine.cpu}, ${report.machine.memory_gb} GB, Node ${report.machine.node}; ${report.date}; state in ${report.method?.state_root ?? "the temp directory"}`,
		"",
		"| measurement | c | rps | p50 ms | p99 ms | max ms | rps / DO floor | p99 / DO floor p99 | lost |",
		"| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
		...load,
		"",
		`| end to end (${E2E_RUNS} runs, c=${E2E_CONNECTIONS}) | created/s | completed/s | p50 ms | p99 ms |`,
		"| --- | --- | --- | --- | --- |",
		...rounds.map(
			(r, i) =>
				`| runtime, round ${i + 1} | ${r.creation_rps} | ${r.completed_per_s} | ${r.p50_ms} | ${r.p99_ms} |`,
		),
		`| Workflow peer | ${w.creation_rps} | ${w.completed_per_s} | ${w.p50_ms} | ${w.p99_ms} |`,
		"",
		"| census (server side) | submitted | completed | failed | cancelled | stuck | refused | lost | resent |",
		"| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
		...rounds.map((r, i) => censusRow(`runtime, round ${i + 1}`, r)),
		censusRow("Workflow peer", w),
		"",
		"| phase | requests | unanswered | longest wait ms | /health p50 ms | /health p99 ms |",
		"| --- | --- | --- | --- | --- | --- |",
		...report.requests.phases.map(
			(p) =>
				`| ${p.phase} | ${p.requests} | ${p.unanswered} | ${p.longest_wait_ms} | ${fmt(p.health?.p50_ms)} | ${fmt(p.health?.p99_ms)} |`,
		),
		"",
		`DAG: 8 parallel waits of 100 ms in ${dag.parallel_ms} ms, chained in ${dag.chained_ms} ms: ${dag.speedup}×.`,
		`LLM outage: ${llm.runs} runs in a row against a model that never answers within the 1 s timeout: ${llm.paid_timeout} paid the timeout (${llm.timeout_ms.join(", ")} ms), ${llm.circuit_open} fell back at once (circuit open, p50 ${llm.circuit_open_p50_ms} ms).`,
		`Queued versus inline (${q.inline.runs} one-step runs each, in waves of 20, creation to completion): inline p50 ${q.inline.p50_ms} ms, p99 ${q.inline.p99_ms} ms; queued p50 ${q.queued.p50_ms} ms, p99 ${q.queued.p99_ms} ms; failed ${q.inline.failed + q.queued.failed}.`,
		`Tool outage (two waves of 15 runs at once, a tool hanging to its 1 s timeout, breaker cool-down 2 s): first wave ${JSON.stringify(tool.first)}; second wave, breaker open: ${JSON.stringify(tool.second)}.`,
		`History: one page of 50 runs by status out of ${HISTORY_RUNS} archived: p50 ${history.p50_ms} ms, p99 ${history.p99_ms} ms, ${history.rps} rps (c=10).`,
		`/health during load: ${report.requests.health.samples} samples, p50 ${report.requests.health.p50_ms} ms, p99 ${report.requests.health.p99_ms} ms, max ${report.requests.health.max_ms} ms, ${report.requests.health.failed} unanswered or not 200.`,
		`Memory of the server's own process tree (${m2.processes} processes, ${m2.workerd_processes} workerd): workerd RSS ${m1.rss_mb} → ${m2.rss_mb} MB after rounds 1 and 2 (peak ${m1.peak_mb} → ${m2.peak_mb} MB), whole tree ${m1.tree_rss_mb} → ${m2.tree_rss_mb} MB; run storage ${report.memory.bytes_per_run} bytes per run while live (database and write-ahead log), ${report.memory.settled_storage?.median_bytes ?? "–"} bytes once checkpointed (median of ${report.memory.settled_storage?.objects ?? 0} run objects, largest ${report.memory.settled_storage?.max_bytes ?? "–"}; ${report.memory.settled_storage?.with_wal_left ?? 0} left with a log).`,
		"",
		"| target | measured | met |",
		"| --- | --- | --- |",
		...report.targets.map((t) => `| ${t.target} | ${t.measured} | ${t.met ? "yes" : "no"} |`),
		...(report.problems.length
			? ["", "**The bench failed:**", "", ...report.problems.map((p) => `- ${p}`)]
			: []),
	].join("\n");
}
