import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { api, apiKey, baseUrl, launch, nodeStatuses, openWithKey, startPlan } from "./browser";

let browser: Browser;
let page: Page;

beforeAll(async () => {
	browser = await launch();
});
afterAll(async () => {
	await browser?.close();
});
beforeEach(async () => {
	const context = await browser.newContext();
	page = await context.newPage();
	return () => context.close();
});

const statusBadge = () => page.locator("#run-status");

describe("the run viewer", () => {
	it("submits a prompt and watches the graph turn green live", async () => {
		await openWithKey(page, "/");
		await page
			.getByLabel("Task")
			.fill("Add a todo to buy milk, then wait 2 seconds, then show me my todos");
		await page.getByRole("button", { name: "Start run" }).click();
		await page.waitForURL(/\/run\?id=[0-9a-f]{64}$/);
		// The wait keeps step 2 running long enough to be seen before it turns green.
		await page.locator('.graph .node[data-step="2"][data-status="running"]').waitFor();
		expect((await nodeStatuses(page))["1"]).toBe("succeeded");
		await expect.poll(() => statusBadge().textContent(), { timeout: 15_000 }).toBe("completed");
		expect(Object.values(await nodeStatuses(page))).toEqual([
			"succeeded",
			"succeeded",
			"succeeded",
		]);
		await expect
			.poll(() => page.locator("#timeline li").last().textContent())
			.toContain("run completed");
		// The key stays in this tab's session storage, never in local storage or a cookie.
		expect(await page.evaluate(() => localStorage.length)).toBe(0);
		expect(await page.context().cookies()).toEqual([]);
	});

	it("follows over a WebSocket that carries a stream token, not the key", async () => {
		const runId = await startPlan([{ step_number: 1, tool: "wait", input: { ms: 1500 } }]);
		const sockets: string[] = [];
		page.on("websocket", (socket) => sockets.push(socket.url()));
		await openWithKey(page, `/run?id=${runId}`);
		await expect.poll(() => statusBadge().textContent(), { timeout: 15_000 }).toBe("completed");
		expect(sockets.length).toBeGreaterThan(0);
		const url = new URL(sockets[0] ?? "");
		expect(url.pathname).toBe(`/runs/${runId}/ws`);
		expect(url.searchParams.get("token")).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
		expect(sockets[0]).not.toContain(apiKey());
	});

	it("approves a step that waits for approval", async () => {
		const runId = await startPlan([
			{ step_number: 1, tool: "calculator", input: { expression: "6*7" }, requires_approval: true },
		]);
		await openWithKey(page, `/run?id=${runId}`);
		await expect.poll(() => statusBadge().textContent()).toBe("waiting_approval");
		await page.getByRole("button", { name: /^Step 1, calculator/ }).click();
		await page.getByRole("button", { name: "Approve" }).click();
		await expect.poll(() => statusBadge().textContent(), { timeout: 15_000 }).toBe("completed");
		expect(await nodeStatuses(page)).toEqual({ "1": "succeeded" });
		await expect(page.locator("#step-panel pre").last().textContent()).resolves.toContain("42");
	});

	it("selects steps and approves from the keyboard alone", async () => {
		const runId = await startPlan([
			{ step_number: 1, tool: "calculator", input: { expression: "1+1" }, requires_approval: true },
		]);
		await openWithKey(page, `/run?id=${runId}`);
		await expect.poll(() => statusBadge().textContent()).toBe("waiting_approval");
		await page.locator('.graph .node[data-step="1"]').focus();
		await page.keyboard.press("Enter");
		await expect
			.poll(() => page.locator("#step-panel h2").textContent())
			.toBe("Step 1: calculator");
		await page.getByRole("button", { name: "Approve" }).focus();
		await page.keyboard.press("Enter");
		await expect.poll(() => statusBadge().textContent(), { timeout: 15_000 }).toBe("completed");
	});

	it("retries a failed run and follows it to the end", async () => {
		const runId = await startPlan([
			{
				step_number: 1,
				tool: "chaos",
				input: { behaviours: [{ fail: "fatal" }, { latency_ms: 1500 }] },
			},
		]);
		await openWithKey(page, `/run?id=${runId}`);
		await expect.poll(() => statusBadge().textContent(), { timeout: 15_000 }).toBe("failed");
		await page.getByRole("button", { name: "Retry" }).click();
		await page.locator('.graph .node[data-step="1"][data-status="running"]').waitFor();
		await expect.poll(() => statusBadge().textContent(), { timeout: 15_000 }).toBe("completed");
		const timeline = await page.locator("#timeline").textContent();
		expect(timeline).toContain("step failed (step 1)");
		expect(timeline).toContain("step succeeded (step 1)");
	});

	it("cancels a waiting run", async () => {
		const runId = await startPlan([
			{ step_number: 1, tool: "wait", input: { ms: 60_000 } },
			{ step_number: 2, tool: "calculator", input: { expression: "1+1" }, depends_on: [1] },
		]);
		await openWithKey(page, `/run?id=${runId}`);
		await page.locator('.graph .node[data-step="1"][data-status="running"]').waitFor();
		await page.getByRole("button", { name: "Cancel", exact: true }).click();
		await expect.poll(() => statusBadge().textContent(), { timeout: 15_000 }).toBe("cancelled");
		expect(await nodeStatuses(page)).toEqual({ "1": "cancelled", "2": "cancelled" });
		expect(await page.getByRole("button", { name: "Cancel", exact: true }).isDisabled()).toBe(true);
	});

	it("resumes after a reload mid-run, missing no event and showing none twice", async () => {
		const runId = await startPlan([
			{ step_number: 1, tool: "wait", input: { ms: 2500 } },
			{ step_number: 2, tool: "calculator", input: { expression: "2+3" }, depends_on: [1] },
		]);
		await openWithKey(page, `/run?id=${runId}`);
		await page.locator('.graph .node[data-step="1"][data-status="running"]').waitFor();
		await page.reload();
		await expect.poll(() => statusBadge().textContent(), { timeout: 15_000 }).toBe("completed");
		const seqs = await page.$$eval("#timeline li", (items) =>
			items.map((li) => Number(li.getAttribute("data-seq"))),
		);
		const { events } = await api<{ events: { seq: number }[] }>(`/runs/${runId}/events?limit=1000`);
		expect(seqs).toEqual(events.map((event) => event.seq));
	});

	it("lists runs with filters and paging, and opens one", async () => {
		const prompts = [
			"what is 81 divided by 9",
			"what is 82 divided by 2",
			"what is 84 divided by 4",
		];
		const ids: string[] = [];
		for (const prompt of prompts) {
			const run = await api<{ run_id: string }>("/runs", {
				method: "POST",
				body: JSON.stringify({ prompt }),
			});
			ids.push(run.run_id);
		}
		const listed = async () =>
			(
				await api<{ runs: { run_id: string }[] }>("/runs?status=completed&q=divided&limit=100")
			).runs.map((r) => r.run_id);
		await expect.poll(listed, { timeout: 15_000 }).toEqual(expect.arrayContaining(ids));
		await openWithKey(page, "/");
		await page.getByLabel("Status").selectOption("completed");
		await page.getByLabel("Prompt contains").fill("divided");
		await page.getByRole("button", { name: "Filter" }).click();
		// The unfiltered first page may still be showing: wait for the filtered one.
		const shown = () => page.locator("#runs td.prompt").allTextContents();
		await expect.poll(shown).toEqual([...prompts].reverse());
		// Two to a page: newest first, then the oldest alone, and back.
		await page.goto(`${baseUrl()}/?limit=2`);
		await page.getByLabel("Prompt contains").fill("divided");
		await page.getByRole("button", { name: "Filter" }).click();
		await expect.poll(shown).toEqual([prompts[2], prompts[1]]);
		await page.getByRole("button", { name: "Next page" }).click();
		await expect.poll(shown).toEqual([prompts[0]]);
		expect(await page.getByRole("button", { name: "Next page" }).isDisabled()).toBe(true);
		await page.getByRole("button", { name: "Previous page" }).click();
		await expect.poll(shown).toEqual([prompts[2], prompts[1]]);
		await page.getByRole("button", { name: "Next page" }).click();
		await expect.poll(shown).toEqual([prompts[0]]);
		await page.getByRole("link", { name: prompts[0] }).click();
		await page.waitForURL(`${baseUrl()}/run?id=${ids[0]}`);
		await expect.poll(() => statusBadge().textContent()).toBe("completed");
	});

	it("fits a phone's screen without sideways scrolling", async () => {
		await page.setViewportSize({ width: 390, height: 844 });
		const runId = await startPlan([
			{ step_number: 1, tool: "calculator", input: { expression: "1+1" } },
			{ step_number: 2, tool: "calculator", input: { expression: "2+2" }, depends_on: [1] },
			{ step_number: 3, tool: "calculator", input: { expression: "3+3" }, depends_on: [2] },
		]);
		await openWithKey(page, `/run?id=${runId}`);
		await expect.poll(() => statusBadge().textContent(), { timeout: 15_000 }).toBe("completed");
		const overflow = await page.evaluate(
			() => document.documentElement.scrollWidth - window.innerWidth,
		);
		expect(overflow).toBeLessThanOrEqual(0);
	});

	it("shows a bad API key's refusal and asks again", async () => {
		await page.goto(`${baseUrl()}/`);
		const dialog = page.getByRole("dialog", { name: "API key" });
		await dialog.getByLabel("Key (kept in this tab only)").fill("not-the-right-key-0000");
		await dialog.getByRole("button", { name: "Use key" }).click();
		// The dialog comes back, saying why, and the right key then works.
		await expect
			.poll(() => dialog.locator("[data-reason]").textContent())
			.toContain("Unknown or revoked API key");
		await dialog.getByLabel("Key (kept in this tab only)").fill(apiKey());
		await dialog.getByRole("button", { name: "Use key" }).click();
		await dialog.waitFor({ state: "hidden" });
		await page.locator("#runs tr").first().waitFor();
	});
});
