// The small scenarios after the load phases: DAG speedup, LLM outage, queued versus inline, and
// tool outage. Their runs are submitted with Idempotency-Keys too, and read back with deadlines.
import { log, percentile, REQUEST_DEADLINE_MS, sleep } from "./config.mjs";
import { getJson, Lost, resendTally, submit } from "./http.mjs";

const tally = resendTally();
let serial = 0;
let prefix = "scenario";

/** Keys of this bench run's scenario submissions start with `value`. */
export function keyPrefix(value) {
	prefix = value;
}

/** Requests sent again in the scenarios, by reason. */
export const scenarioResends = () => ({ ...tally });

async function create(json) {
	serial += 1;
	const answer = await submit("/runs", json, `${prefix}-${serial}`, tally);
	if (!answer.ok) throw new Error(`POST /runs answered ${answer.status ?? answer.lost}`);
	return answer;
}

/** Reads each run until `finished` says so; throws when one is not by the deadline. */
async function waitAll(ids, finished, deadlineMs = 120_000) {
	const deadline = Date.now() + deadlineMs;
	const results = new Map();
	while (results.size < ids.length) {
		if (Date.now() >= deadline) {
			throw new Error(`${ids.length - results.size} runs not finished within ${deadlineMs} ms`);
		}
		const pending = ids.filter((id) => !results.has(id));
		for (let index = 0; index < pending.length; index += 25) {
			const batch = pending.slice(index, index + 25);
			const answers = await Promise.all(
				batch.map((id) =>
					getJson(`/runs/${id}`).catch((error) => {
						if (error instanceof Lost) return null; // read again next pass
						throw error;
					}),
				),
			);
			answers.forEach((run, offset) => {
				if (run && finished(run)) results.set(batch[offset], run);
			});
		}
		// Polling is load on the server under test: pause between passes.
		if (results.size < ids.length) await sleep(1_000);
	}
	return ids.map((id) => results.get(id));
}

const took = (runs) =>
	runs
		.map((run) => Date.parse(run.completed_at) - Date.parse(run.created_at))
		.sort((a, b) => a - b);

/** 8 waits of 100 ms, in parallel and chained: the median of three runs each. */
export async function dagSpeedup() {
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
			const goal = chained ? "chained" : "parallel";
			const { body } = await create({ plan: { goal, steps: steps(chained) } });
			const [run] = await waitAll([body.run_id], (r) => r.status === "completed");
			samples.push(...took([run]));
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
export async function llmOutage(llmUrl) {
	await fetch(`${llmUrl.replace(/\/v1$/, "")}/__script`, {
		method: "POST",
		body: JSON.stringify({ contains: "outage", case: "timeout" }),
		signal: AbortSignal.timeout(REQUEST_DEADLINE_MS),
	});
	const samples = [];
	for (let index = 0; index < 20; index += 1) {
		const answer = await create({
			prompt: "show my outage todos",
			planner: "llm",
			cache: false,
		});
		samples.push({
			ms: Math.round(answer.ms),
			reason: answer.body.plan?.planning?.fallback_reason ?? `status ${answer.status}`,
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

const postPlan = async (steps, policy) =>
	(await create({ plan: { goal: "bench", steps }, ...(policy ? { policy } : {}) })).body.run_id;

/**
 * The cost of the queue: `count` one-step runs of `chaos` (inline) and of `chaos.queued`, in
 * waves of 20 that each finish before the next starts (within the default bulkhead of 20 per
 * tool, so what is measured is the queue's round trip, not waiting for a slot), each run timed
 * from creation to completion.
 */
export async function queuedVersusInline(count) {
	const measure = async (tool) => {
		const runs = [];
		for (let index = 0; index < count; index += 20) {
			const wave = await Promise.all(
				Array.from({ length: Math.min(20, count - index) }, () =>
					postPlan([{ step_number: 1, tool, input: { output: index } }]),
				),
			);
			runs.push(...(await waitAll(wave, (run) => ["completed", "failed"].includes(run.status))));
		}
		const failed = runs.filter((run) => run.status !== "completed");
		if (failed.length) log(`${tool}: ${failed.length} runs failed, e.g. ${failed[0].run_id}`);
		const times = took(runs);
		return {
			runs: runs.length,
			failed: failed.length,
			p50_ms: percentile(times, 0.5),
			p99_ms: percentile(times, 0.99),
		};
	};
	return { inline: await measure("chaos"), queued: await measure("chaos.queued") };
}

/**
 * 30 runs in a row of a tool that hangs until its 1 s timeout, one attempt each: how many pay the
 * timeout before the tool's breaker opens, and how many fail at once with circuit_open. The
 * breaker is rate-based (CIRCUIT_BREAKERS), and the inline half of queuedVersusInline, just
 * before, leaves its successful chaos calls in the breaker's window.
 */
export async function toolOutage() {
	// Two waves of 15 runs at once against a tool that hangs to its 1 s timeout. The bench's
	// breaker for it opens when 5 calls in 5 s failed, and cools down for 2 s: the first wave pays
	// the timeouts and opens it; the second finds it open, so its steps are put off without
	// spending an attempt and reach the tool one half-open trial at a time.
	const wave = async () => {
		const started = Date.now();
		const ids = await Promise.all(
			Array.from({ length: 15 }, () =>
				postPlan([{ step_number: 1, tool: "chaos", input: { behaviours: [{ hang: true }] } }], {
					max_attempts: 1,
					timeout_ms: 1_000,
				}),
			),
		);
		const runs = await waitAll(ids, (r) => r.status === "failed" || r.status === "completed");
		const steps = runs.map((run) => run.execution_log[0]);
		const codes = {};
		for (const step of steps)
			codes[step.error?.code ?? "none"] = (codes[step.error?.code ?? "none"] ?? 0) + 1;
		return {
			runs: runs.length,
			seconds: Math.round((Date.now() - started) / 100) / 10,
			attempts_reaching_tool: steps.reduce((sum, step) => sum + step.attempts, 0),
			deferrals: steps.reduce((sum, step) => sum + (step.deferrals ?? 0), 0),
			codes,
		};
	};
	// The phases before used this tool successfully: let their calls leave the 5 s window first.
	await new Promise((resolve) => setTimeout(resolve, 6_000));
	const first = await wave();
	const second = await wave();
	return { first, second };
}
