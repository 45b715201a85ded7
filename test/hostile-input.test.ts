import { describe, expect, it } from "vitest";
import { evaluate } from "../src/engine/tools/calculator";
import { api, postJson, settle } from "./fixtures/runs";

async function expect4xx(res: Response) {
	expect(res.status).toBeGreaterThanOrEqual(400);
	expect(res.status).toBeLessThan(500);
	const body = (await res.json()) as { error: { code: string; message: string } };
	expect(body.error.code).toMatch(/^[a-z_]+$/);
	expect(JSON.stringify(body)).not.toMatch(/at .*\.(ts|js):\d+/);
	return body;
}

describe("hostile input", () => {
	it("refuses JSON nested 100,000 levels deep", async () => {
		await expect4xx(
			await postJson("/runs", `{"prompt":${"[".repeat(100_000)}${"]".repeat(100_000)}}`),
		);
		await expect4xx(await postJson("/runs", `${"[".repeat(20_000)}${"]".repeat(20_000)}`));
	});

	it("refuses a million elements and a 2 MB body", async () => {
		await expect4xx(
			await postJson("/runs", `{"prompt":"x","policy":[${"0,".repeat(1_000_000)}0]}`),
		);
		const big = await postJson("/runs", { prompt: "x".repeat(2 * 1024 * 1024) });
		expect(big.status).toBe(413);
	});

	it("refuses __proto__ and constructor keys anywhere, leaving Object.prototype alone", async () => {
		const bodies = [
			'{"prompt":"calculate 1","__proto__":{"polluted":true}}',
			'{"prompt":"calculate 1","constructor":{"prototype":{"polluted":true}}}',
			'{"plan":{"goal":"g","steps":[{"step_number":1,"tool":"calculator","input":{"expression":"1","__proto__":{"polluted":true}}}]}}',
			'{"prompt":"calculate 1","policy":{"__proto__":{"max_attempts":99}}}',
		];
		for (const body of bodies) await expect4xx(await postJson("/runs", body));
		expect(({} as Record<string, unknown>).polluted).toBeUndefined();
		expect(Object.prototype).not.toHaveProperty("polluted");
	});

	it("keeps fullwidth digits, zero-width and right-to-left characters from confusing the planner", async () => {
		const res = await postJson("/runs", {
			prompt: "calculate ４０ + ２\u200B, add a todo to pay\u202Erent",
		});
		expect(res.status).toBe(201);
		const run = await settle(((await res.json()) as { run_id: string }).run_id);
		expect(run.execution_log[0]?.output).toBe(42);
		expect(run.execution_log[1]?.input).toEqual({ title: "payrent" });
	});

	it("binds SQL meta-characters in titles, filters and ids", async () => {
		const title = "x'); DROP TABLE runs; --";
		const res = await postJson("/runs", {
			plan: { goal: title, steps: [{ step_number: 1, tool: "todo.add", input: { title } }] },
		});
		await settle(((await res.json()) as { run_id: string }).run_id);
		for (const path of [
			`/runs?q=${encodeURIComponent("' OR 1=1 --")}`,
			`/runs?q=${encodeURIComponent("%' UNION SELECT * FROM runs --")}`,
			`/runs?tool=${encodeURIComponent("calculator' OR '1'='1")}`,
			`/runs/${encodeURIComponent("1' OR '1'='1")}`,
			`/stats?since=${encodeURIComponent("2020-01-01' OR 1=1")}`,
		]) {
			const answer = await api(path);
			expect(answer.status).toBeLessThan(500);
		}
		expect(
			((await (await api("/runs")).json()) as { runs: unknown[] }).runs.length,
		).toBeGreaterThan(0);
	});

	it("answers ids that are 10 KB long or contain ../ or %00 with 404", async () => {
		for (const id of ["a".repeat(10_240), "..%2F..%2Fhealth", "%00", "abc%00def", "..", "%2e%2e"]) {
			const res = await api(`/runs/${id}`);
			expect([404, 405]).toContain(res.status);
			await expect4xx(res);
		}
	});

	it("answers the known expression-evaluator escapes in bounded time with a clear error", () => {
		const escapes = [
			"constructor.constructor('return process')()",
			"(1).constructor.constructor('x')()",
			"\\u0063onstructor",
			"\u0063onstructor",
			"this",
			"globalThis",
			"9^9^9^9",
			`${"(".repeat(100_000)}1${")".repeat(100_000)}`,
			"1".repeat(100_000),
		];
		// How fast they fail is the benchmark's business; here, that they fail with a reason.
		for (const expression of escapes) {
			expect(() => evaluate(expression)).toThrowError(
				/position|finite|longer than|Unknown name|nested/,
			);
		}
	});
});
