import { describe, expect, it } from "vitest";
import { splitWindow } from "../src/db/stats";
import {
	bucketOf,
	combine,
	emptySummary,
	percentileOf,
	type Summary,
} from "../src/engine/stats/summary";
import { type SeedRun, seedArchive } from "./fixtures/archive-seed";
import { api } from "./fixtures/runs";

async function stats(query = "") {
	const res = await api(`/stats${query}`);
	expect(res.status).toBe(200);
	return (await res.json()) as { runs: { total: number; by_status: Record<string, number> } };
}

const at = (time: string) => `2021-03-04T${time}:00.000Z`;
const later = (time: string) => `2021-03-11T${time}:00.000Z`;
const run = (run_id: string, created_at: string, finished = true): SeedRun => ({
	run_id,
	created_at,
	prompt: run_id,
	steps: [{ tool: "calculator", duration_ms: 5 }],
	...(finished ? { duration_ms: 50 } : {}),
});

describe("stats rollups", () => {
	it("count a run written again once, as it last stood", async () => {
		await seedArchive([run("again", at("09:00"), false)]);
		expect((await stats()).runs).toMatchObject({ total: 1, by_status: { running: 1 } });
		await seedArchive([run("again", at("09:00"))]);
		await seedArchive([run("again", at("09:00"))]);
		expect((await stats()).runs).toEqual({
			total: 1,
			by_status: { completed: 1 },
			success_rate: 1,
		});
	});

	it("add up a window that cuts through hours: whole hours from the rollup, edges run by run", async () => {
		await seedArchive([
			run("early", later("10:15")),
			run("inside-1", later("10:45")),
			run("inside-2", later("11:30")),
			run("late", later("12:10")),
		]);
		const window = `?since=${later("10:30")}&until=${later("12:05")}`;
		expect((await stats(window)).runs.total).toBe(2);
		expect((await stats(`?since=${later("10:40")}&until=${later("10:50")}`)).runs.total).toBe(1);
		expect((await stats(`?since=${later("10:00")}&until=${later("13:00")}`)).runs.total).toBe(4);
		expect((await stats("?since=2021-03-10&until=2021-03-12")).runs.total).toBe(4);
		expect((await stats("?since=2021-03-11T10:50:00Z")).runs.total).toBe(2);
		// Open at the start, it reaches back to the run of the first test, a week earlier.
		expect((await stats("?until=2021-03-11T10:50:00Z")).runs.total).toBe(3);
	});
});

describe("stats windows", () => {
	it("read whole days, then whole hours, then single runs at the edges", () => {
		expect(splitWindow("2021-03-04T10:30:00.000Z", "2021-03-06T12:05:00.000Z")).toEqual({
			days: [["2021-03-05T00:00:00.000Z", "2021-03-06T00:00:00.000Z"]],
			hours: [
				["2021-03-04T11:00:00.000Z", "2021-03-05T00:00:00.000Z"],
				["2021-03-06T00:00:00.000Z", "2021-03-06T12:00:00.000Z"],
			],
			runs: [
				["2021-03-04T10:30:00.000Z", "2021-03-04T11:00:00.000Z"],
				["2021-03-06T12:00:00.000Z", "2021-03-06T12:05:00.000Z"],
			],
		});
		expect(splitWindow("2021-03-04T10:40:00.000Z", "2021-03-04T10:50:00.000Z")).toEqual({
			days: [],
			hours: [],
			runs: [["2021-03-04T10:40:00.000Z", "2021-03-04T10:50:00.000Z"]],
		});
		expect(splitWindow(undefined, undefined).days).toEqual([[undefined, undefined]]);
	});
});

describe("stats summaries", () => {
	it("keep durations exact below a second and to three significant digits above", () => {
		expect([0, 7, 999, 1_000, 12_345, 987_654].map(bucketOf)).toEqual([
			0, 7, 999, 1_000, 12_300, 987_000,
		]);
	});

	it("read nearest-rank percentiles from a histogram", () => {
		const histogram = { "100": 1, "200": 1, "300": 1, "400": 1 };
		expect([0.5, 0.95, 0.99].map((p) => percentileOf(histogram, p))).toEqual([200, 400, 400]);
		expect(percentileOf({}, 0.5)).toBeNull();
	});

	it("subtract what they added, back to nothing", () => {
		const one: Summary = {
			...emptySummary(),
			runs: { completed: 1 },
			duration: { "50": 1 },
			tools: { calculator: { executions: 2, failures: 0, retries: 1, duration: { "5": 1 } } },
		};
		expect(combine(combine(emptySummary(), one), one, -1)).toEqual(emptySummary());
	});
});
