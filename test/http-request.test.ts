import { describe, expect, inject, it } from "vitest";
import { checkUrl, isPrivateHost } from "../src/engine/tools/http-request";
import { step } from "./fixtures/plans";
import { settle, startPlan } from "./fixtures/runs";

const stub = new URL(inject("llmStubUrl"));

describe("http.request address rules", () => {
	it.each([
		["127.0.0.1", true],
		["localhost", true],
		["10.1.2.3", true],
		["172.16.0.1", true],
		["172.31.255.255", true],
		["172.32.0.1", false],
		["192.168.1.1", true],
		["169.254.169.254", true],
		["100.64.0.1", true],
		["0.0.0.0", true],
		["[::1]", true],
		["[::]", true],
		["[fd00::1]", true],
		["[fe80::1]", true],
		["[::ffff:127.0.0.1]", true],
		["[::ffff:7f00:1]", true],
		["[::7f00:1]", true],
		["[64:ff9b::a00:1]", true],
		["[::ffff:808:808]", false],
		["[2606:4700::1111]", false],
		["[1:2:3]", true],
		["8.8.8.8", false],
		["example.com", false],
	])("classifies %s as private: %s", (host, expected) => {
		expect(isPrivateHost(host)).toBe(expected);
	});

	it("is off with an empty allowlist, and refuses unlisted or private hosts", () => {
		expect(checkUrl(new URL("https://example.com/"), [])).toContain("is off");
		expect(checkUrl(new URL("https://example.com/"), ["api.example.org"])).toBe(
			"example.com is not on the allowlist",
		);
		expect(checkUrl(new URL("https://api.example.org/x"), ["api.example.org"])).toBeUndefined();
		expect(checkUrl(new URL("ftp://api.example.org/"), ["api.example.org"])).toContain(
			"Only http and https",
		);
		expect(checkUrl(new URL("http://127.0.0.1:9000/"), ["127.0.0.1"])).toContain(
			"private or loopback",
		);
		expect(checkUrl(new URL("http://127.0.0.1:9000/"), ["127.0.0.1:9000"])).toBeUndefined();
	});

	it("reads IPv4 addresses written as IPv6, as the URL parser normalises them", () => {
		const mapped = new URL("http://[::ffff:127.0.0.1]:6379/");
		expect(mapped.hostname).toBe("[::ffff:7f00:1]");
		expect(checkUrl(mapped, ["[::ffff:7f00:1]"])).toContain("private or loopback");
	});

	it("opens only the default port of a private host listed without one", () => {
		expect(checkUrl(new URL("http://127.0.0.1/"), ["127.0.0.1"])).toBeUndefined();
		expect(checkUrl(new URL("http://127.0.0.1:6379/"), ["127.0.0.1"])).toContain(
			"private or loopback",
		);
	});
});

describe("http.request in a run, on the tool queue", () => {
	async function request(url: string) {
		const runId = await startPlan(
			{ goal: "fetch", steps: [step(1, "http.request", { method: "GET", url })] },
			{ policy: { max_attempts: 1 } },
		);
		return settle(runId);
	}

	it("reaches a host listed exactly, returning status, headers and body", async () => {
		// /__requests would grow past the 256 KB cap as other files talk to the stub; this stays small.
		const run = await request(`http://${stub.host}/__status/201`);
		expect(run.status).toBe("completed");
		expect(run.result).toMatchObject({
			status: 201,
			headers: { "content-type": "application/json" },
			truncated: false,
		});
		expect(JSON.parse((run.result as { body: string }).body)).toEqual({ status: 201 });
	});

	it("sends the step's idempotency key, the same on every attempt of the effect", async () => {
		const runId = await startPlan(
			{ goal: "echo", steps: [step(1, "http.request", { url: `http://${stub.host}/__echo` })] },
			{ policy: { max_attempts: 1 } },
		);
		const run = await settle(runId);
		const echoed = JSON.parse((run.result as { body: string }).body) as {
			headers: Record<string, string>;
		};
		expect(echoed.headers["idempotency-key"]).toBe(`${runId}:1`);
	});

	it("refuses 127.0.0.1 on a port that is not listed, and hosts not on the allowlist", async () => {
		const loopback = await request("http://127.0.0.1:1/");
		expect(loopback.execution_log[0]?.error).toMatchObject({
			code: "host_not_allowed",
			message: expect.stringContaining("private or loopback"),
		});
		const elsewhere = await request("https://example.com/");
		expect(elsewhere.execution_log[0]?.error).toEqual({
			code: "host_not_allowed",
			message: "example.com is not on the allowlist",
		});
	});
});
