// The runs page: start a run from a task or a plan, and page through the tenant's runs.
import { age, announce, api, apiKey, element } from "./api.js";

const rows = document.getElementById("runs");
const previous = document.getElementById("previous");
const next = document.getElementById("next");
const filters = document.getElementById("filter-form");
// Cursors of the pages before this one, so "Previous" can go back.
const cursors = [];
let current;
let following;

// ?limit= in the page's address sets the page size (the API allows 1 to 100).
const pageSize = new URLSearchParams(location.search).get("limit") ?? "20";

function query(cursor) {
	const params = new URLSearchParams({ limit: pageSize });
	for (const [name, value] of new FormData(filters)) if (value) params.set(name, String(value));
	if (cursor) params.set("cursor", cursor);
	return `/runs?${params}`;
}

async function load(cursor) {
	try {
		const page = await api(query(cursor));
		current = cursor;
		following = page.next_cursor;
		rows.replaceChildren(...page.runs.map(row));
		if (page.runs.length === 0) {
			const filtered = [...new FormData(filters).values()].some(Boolean);
			const empty = filtered ? "No runs match these filters." : "No runs yet.";
			rows.append(element("tr", {}, element("td", { colspan: 4 }, empty)));
		}
		next.disabled = !following;
		previous.disabled = cursors.length === 0;
	} catch (error) {
		announce(`Could not list runs: ${error.message}`, "error");
	}
}

function row(run) {
	const link = element(
		"a",
		{ href: `/run?id=${encodeURIComponent(run.run_id)}` },
		run.prompt ?? run.goal ?? "(a plan of your own)",
	);
	return element(
		"tr",
		{},
		element("td", {}, element("span", { class: `badge ${run.status}` }, run.status)),
		element("td", { class: "prompt" }, link),
		element("td", { class: "steps-column" }, String(run.step_count ?? "")),
		element("td", {}, element("time", { datetime: run.created_at }, age(run.created_at))),
	);
}

filters.addEventListener("submit", (event) => {
	event.preventDefault();
	cursors.length = 0;
	void load(undefined);
});
next.addEventListener("click", () => {
	cursors.push(current);
	void load(following);
});
previous.addEventListener("click", () => void load(cursors.pop()));
document.getElementById("forget-key").addEventListener("click", () => {
	apiKey.clear();
	announce("The API key is forgotten.");
});

document.getElementById("create-form").addEventListener("submit", async (event) => {
	event.preventDefault();
	const form = event.currentTarget;
	const prompt = form.elements.prompt.value.trim();
	const planText = form.elements.plan.value.trim();
	let body;
	try {
		body = planText ? { plan: JSON.parse(planText) } : { prompt };
	} catch {
		announce("The plan is not valid JSON.", "error");
		form.elements.plan.focus();
		return;
	}
	if (planText && prompt) {
		announce("Send either a task or a plan, not both.", "error");
		return;
	}
	if (!planText && !prompt) {
		announce("Write a task, or a plan.", "error");
		form.elements.prompt.focus();
		return;
	}
	try {
		const run = await api("/runs", { method: "POST", body });
		location.assign(`/run?id=${encodeURIComponent(run.run_id)}`);
	} catch (error) {
		announce(`The run was not started: ${error.message}`, "error");
	}
});

await load(undefined);
// The list comes from the archive (a run is listed once it has been live a second): refresh the
// page shown every few seconds while the tab is visible, so new runs and their statuses appear.
setInterval(() => {
	if (document.visibilityState === "visible" && !document.getElementById("key-dialog").open) {
		void load(current);
	}
}, 3_000);
