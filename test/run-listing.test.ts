import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { archiveRuns } from "../src/worker/queue/run-archive";
import { type SeedRun, seedArchive } from "./fixtures/archive-seed";
import { api, followEvents, postJson, startPlan, stubFor } from "./fixtures/runs";

interface Page {
	runs: Array<{
		run_id: string;
		status: string;
		prompt: string;
		step_count: number;
		error: unknown;
		duration_ms: number | null;
	}>;
	next_cursor: string | null;
}

async function list(query: string): Promise<Page> {
	const res = await api(`/runs?${query}`);
	expect(res.status).toBe(200);
	return (await res.json()) as Page;
}

const ids = (page: Page) => page.runs.map((run) => run.run_id);

const at = (day: number) => `2020-01-${String(day).padStart(2, "0")}T12:00:00.000Z`;

const fixtures: SeedRun[] = [
	{
		run_id: "r01",
		created_at: at(1),
		prompt: "calculate 2+2",
		steps: [{ tool: "calculator", duration_ms: 1 }],
		duration_ms: 10,
	},
	{
		run_id: "r02",
		created_at: at(2),
		prompt: "add a todo to buy MILK",
		steps: [{ tool: "todo.add", duration_ms: 1 }],
		duration_ms: 10,
	},
	{
		run_id: "r03",
		created_at: at(3),
		prompt: "calculate 1/0 and add a todo to buy milk",
		steps: [
			{
				tool: "calculator",
				duration_ms: 1,
				error: { code: "math_error", message: "Division by zero" },
			},
			{ tool: "todo.add", duration_ms: 1 },
		],
		duration_ms: 10,
	},
	{
		run_id: "r04",
		created_at: at(4),
		prompt: "show 100% of my_todos",
		steps: [{ tool: "todo.list", duration_ms: 1 }],
		duration_ms: 10,
	},
	{
		run_id: "r05",
		created_at: at(5),
		prompt: "calculate 3*3 then list my todos",
		steps: [{ tool: "calculator" }, { tool: "todo.list" }],
	},
];

describe("run listing", () => {
	it("lists newest first with the summary shape", async () => {
		await seedArchive(fixtures);
		const page = await list("created_before=2020-02-01");
		expect(ids(page)).toEqual(["r05", "r04", "r03", "r02", "r01"]);
		expect(page.next_cursor).toBeNull();
		expect(page.runs[2]).toEqual({
			run_id: "r03",
			prompt: "calculate 1/0 and add a todo to buy milk",
			goal: "calculate 1/0 and add a todo to buy milk",
			status: "failed",
			created_at: at(3),
			completed_at: "2020-01-03T12:00:00.010Z",
			duration_ms: 10,
			step_count: 2,
			error: { code: "math_error", message: "Division by zero" },
		});
		expect(page.runs[0]).toMatchObject({
			run_id: "r05",
			status: "running",
			completed_at: null,
			duration_ms: null,
			error: null,
		});
	});

	it.each([
		["status=completed", ["r04", "r02", "r01"]],
		["status=failed,running", ["r05", "r03"]],
		["status=failed&status=running", ["r05", "r03"]],
		["tool=todo.add", ["r03", "r02"]],
		["tool=todo.list", ["r05", "r04"]],
		["tool=shell.exec", []],
		["created_after=2020-01-03T12:00:00Z", ["r05", "r04"]],
		["created_before=2020-01-03", ["r02", "r01"]],
		[
			"created_after=2020-01-01T12:00:00Z&created_before=2020-01-04T12:00:00%2B00:00",
			["r03", "r02"],
		],
		["q=milk", ["r03", "r02"]],
		["q=MILK", ["r03", "r02"]],
		["q=100%25", ["r04"]],
		["q=my_todos", ["r04"]],
		["q=y_t", ["r04"]],
		["q=%25", ["r04"]],
		["q=calculate", ["r05", "r03", "r01"]],
		["status=completed&tool=calculator", ["r01"]],
		["status=failed&tool=todo.add&q=milk", ["r03"]],
		["tool=calculator&created_after=2020-01-02&q=calc", ["r05", "r03"]],
		["status=completed&q=milk&created_before=2020-01-02T00:00:00Z", []],
	])("filters by %s", async (query, expected) => {
		await seedArchive(fixtures);
		// Keep other tests' runs out of the window unless the case sets its own bound.
		const window = query.includes("created_before") ? "" : "&created_before=2020-02-01";
		expect(ids(await list(`${query}${window}`))).toEqual(expected);
	});

	it.each([
		["status=bogus", "status"],
		["status=", "status"],
		["tool=DROP%20TABLE%20runs", "tool"],
		["created_after=yesterday", "created_after"],
		["created_before=2020-13-45", "created_before"],
		["limit=0", "limit"],
		["limit=101", "limit"],
		["limit=ten", "limit"],
		["cursor=not-a-cursor", "cursor"],
		[`cursor=${"A".repeat(300)}`, "cursor"],
		["q=", "q"],
		["sort=asc", "query"],
	])("rejects %s with a 400 naming %s", async (query, parameter) => {
		const res = await api(`/runs?${query}`);
		expect(res.status).toBe(400);
		const body = (await res.json()) as {
			error: { code: string; message: string; details: { issues: Array<{ path: string }> } };
		};
		expect(body.error.code).toBe("invalid_request");
		expect(body.error.message).toContain(parameter);
	});

	it("pages 250 runs 20 at a time with no gaps or repeats while new runs arrive", async () => {
		// Pairs share a timestamp, so the run id has to break ties.
		const seeds: SeedRun[] = Array.from({ length: 250 }, (_, index) => ({
			run_id: `page-${String(index).padStart(3, "0")}`,
			created_at: new Date(
				Date.parse("2021-01-01T00:00:00Z") + Math.floor(index / 2) * 1_000,
			).toISOString(),
			prompt: `calculate ${index}`,
			steps: [{ tool: "calculator", duration_ms: 1 }],
			duration_ms: 5,
		}));
		await seedArchive(seeds);
		const expected = seeds.map((seed) => seed.run_id).reverse();

		const seen: string[] = [];
		let cursor: string | null = null;
		let pages = 0;
		do {
			const query: string = cursor ? `limit=20&cursor=${cursor}` : "limit=20";
			const page = await list(`${query}&created_after=2020-12-31`);
			expect(page.runs.length).toBeLessThanOrEqual(20);
			seen.push(...ids(page));
			cursor = page.next_cursor;
			pages += 1;
			// A new run lands between pages; it is newer than every cursor, so it never shows up.
			const created = await postJson("/runs", { prompt: `calculate ${pages} + 1` });
			expect(created.status).toBe(201);
		} while (cursor);
		expect(pages).toBe(13);
		expect(seen).toEqual(expected);
		expect(new Set(seen).size).toBe(250);
	});

	it("lists a run while it is live, before it finishes", async () => {
		const runId = await startPlan({
			goal: "long wait",
			steps: [
				{
					step_number: 1,
					tool: "wait",
					input: { ms: 60_000 },
					reasoning: "",
					depends_on: [],
					requires_approval: false,
				},
			],
		});
		await followEvents(runId, (event) => event.data.type === "step_sleeping");
		await runInDurableObject(stubFor(runId), (instance) => instance.alarm());
		// The alarm asked the run-archive queue for the row; deliver that request as its consumer.
		await archiveRuns(env, [{ run_id: runId, tenant: "default" }]);
		const page = await list("status=running");
		expect(page.runs.find((run) => run.run_id === runId)).toMatchObject({
			status: "running",
			step_count: 1,
		});
	});

	it("includes live runs, and defaults to 20 per page", async () => {
		for (let index = 0; index < 21; index += 1) {
			await seedArchive([
				{
					run_id: `live-${index}`,
					created_at: at(10),
					prompt: "calculate 1",
					steps: [{ tool: "calculator" }],
				},
			]);
		}
		const page = await list("status=running");
		expect(page.runs).toHaveLength(20);
		expect(page.next_cursor).not.toBeNull();
	});
});
