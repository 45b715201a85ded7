import { mkdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { launch, nodeStatuses, openWithKey, startPlan } from "./browser";

// `UPDATE_SCREENSHOTS=1 npm test -- --project browser test/browser/screenshots.test.ts` renews
// the README's pictures of the viewer (docs/images/); otherwise this is skipped.
describe.runIf(process.env.UPDATE_SCREENSHOTS)("screenshots for the README", () => {
	it("takes the runs list and a run in the middle of its plan", async () => {
		mkdirSync("docs/images", { recursive: true });
		const browser = await launch();
		try {
			const page = await browser.newPage({ viewport: { width: 1200, height: 820 } });
			await startPlan(
				[
					{ step_number: 1, tool: "todo.add", input: { title: "buy milk" } },
					{ step_number: 2, tool: "calculator", input: { expression: "6*7" } },
					{ step_number: 3, tool: "todo.list", input: { status: "all" }, depends_on: [1] },
				],
				"Add a todo to buy milk, then show me all my tasks",
			);
			const runId = await startPlan(
				[
					{ step_number: 1, tool: "calculator", input: { expression: "12*7" } },
					{ step_number: 2, tool: "todo.add", input: { title: "call mom" } },
					{ step_number: 3, tool: "wait", input: { ms: 60_000 }, depends_on: [1, 2] },
					{ step_number: 4, tool: "todo.list", input: { status: "all" }, depends_on: [3] },
				],
				"Compute 12 times 7 and add a todo to call mom, wait a minute, then list my todos",
			);
			await openWithKey(page, `/run?id=${runId}`);
			await page.locator('.graph .node[data-step="3"][data-status="running"]').waitFor();
			await page.locator('.graph .node[data-step="1"]').click();
			expect((await nodeStatuses(page))["1"]).toBe("succeeded");
			await page.screenshot({ path: "docs/images/run.png", fullPage: true });
			await page.goto(page.url().replace(/\/run\?.*$/, "/"));
			await page.locator("#runs td.prompt a").first().waitFor();
			await page.screenshot({ path: "docs/images/runs.png", fullPage: true });
		} finally {
			await browser.close();
		}
	});
});
