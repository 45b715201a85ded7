import { type Browser, chromium, type Page } from "playwright-core";
import { inject } from "vitest";

/** The launch flags Debian's Chromium needs here: headless, no sandbox, nothing phoning home. */
const FLAGS = [
	"--headless",
	"--no-sandbox",
	"--disable-gpu",
	"--disable-background-networking",
	"--disable-component-update",
	"--no-first-run",
];

export const baseUrl = () => inject("baseUrl");
export const apiKey = () => inject("apiKey");

export function launch(): Promise<Browser> {
	return chromium.launch({ executablePath: inject("chromium"), args: FLAGS });
}

/** The API, from Node, with the key. */
export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
	const res = await fetch(`${baseUrl()}${path}`, {
		...init,
		headers: {
			Authorization: `Bearer ${apiKey()}`,
			"Content-Type": "application/json",
			...init.headers,
		},
	});
	if (!res.ok)
		throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${await res.text()}`);
	return (await res.json()) as T;
}

/** Opens `path`, answering the key dialog the first 401 brings up. */
export async function openWithKey(page: Page, path: string): Promise<void> {
	await page.goto(`${baseUrl()}${path}`);
	const dialog = page.getByRole("dialog", { name: "API key" });
	await dialog.waitFor();
	await dialog.getByLabel("Key (kept in this tab only)").fill(apiKey());
	await dialog.getByRole("button", { name: "Use key" }).click();
	await dialog.waitFor({ state: "hidden" });
}

/** Starts a run of `steps` through the API and answers its id. */
export async function startPlan(steps: unknown[], goal = "browser test"): Promise<string> {
	const run = await api<{ run_id: string }>("/runs", {
		method: "POST",
		body: JSON.stringify({ plan: { goal, steps } }),
	});
	return run.run_id;
}

/** The status every node of the plan graph shows, by step number. */
export function nodeStatuses(page: Page): Promise<Record<string, string>> {
	return page.$$eval(".graph .node", (nodes) =>
		Object.fromEntries(
			nodes.map((node) => [node.getAttribute("data-step"), node.getAttribute("data-status")]),
		),
	);
}
