// One run, live: its plan as a graph, the selected step's details, the event timeline, and the
// controls. Events arrive over the run's WebSocket (opened with a stream token); after a drop it
// reconnects with `after=` the last seq it saw, so nothing is missed and nothing is shown twice.
import { age, announce, api, element, socketUrl } from "./api.js";
import { drawGraph } from "./graph.js";

const TERMINAL = new Set(["completed", "failed", "cancelled"]);
const runId = new URLSearchParams(location.search).get("id");
const path = `/runs/${encodeURIComponent(runId ?? "")}`;
const timeline = document.getElementById("timeline");
const connection = document.getElementById("connection");
let run;
let selected;
let lastSeq = 0;
let socket;
let reconnectDelay = 500;
let refreshTimer;

function text(id, value) {
	document.getElementById(id).textContent = value ?? "";
}

function pretty(value) {
	return element("pre", { class: "json" }, JSON.stringify(value, null, 2));
}

/** The plan's steps, each with its current status from the execution log. */
function stepsOf(view) {
	const log = new Map(view.execution_log.map((entry) => [entry.step_number, entry]));
	return view.plan.steps.map((step) => ({ ...step, ...log.get(step.step_number) }));
}

function render(view) {
	run = view;
	document.title = `${view.status} · ${view.prompt ?? view.plan.goal} · Run`;
	text("run-title", `Run ${view.run_id.slice(0, 12)}…`);
	text("prompt", view.prompt ?? view.plan.goal);
	const status = document.getElementById("run-status");
	status.textContent = view.status;
	status.className = `badge ${view.status}`;
	text("planner", view.plan.planner ?? "your plan");
	text("created", `${age(view.created_at)} (${view.created_at})`);
	text("run-error", view.error ? `${view.error.code}: ${view.error.message}` : "none");
	const finished = TERMINAL.has(view.status);
	document.querySelector('[data-action="cancel"]').disabled = finished;
	document.querySelector('[data-action="retry"]').disabled = view.status !== "failed";
	drawGraph(document.getElementById("graph"), stepsOf(view), { selected, onSelect: selectStep });
	renderStep();
}

function selectStep(number) {
	selected = number;
	render(run);
	document.getElementById("step-panel").querySelector("h2").focus();
}

function renderStep() {
	const panel = document.getElementById("step-panel");
	const heading = element("h2", { id: "step-title", tabindex: -1 }, "Step");
	const step = stepsOf(run).find((s) => s.step_number === selected);
	if (!step) {
		panel.replaceChildren(heading, element("p", {}, "Select a step in the plan."));
		return;
	}
	heading.textContent = `Step ${step.step_number}: ${step.tool}`;
	const facts = element(
		"dl",
		{ class: "facts" },
		fact("Status", element("span", { class: `badge ${step.status}` }, step.status)),
		fact("Attempts", String(step.attempts ?? 0)),
		fact("Depends on", step.depends_on?.length ? step.depends_on.join(", ") : "nothing"),
		fact("Duration", step.duration_ms === null ? "" : `${step.duration_ms} ms`),
		step.approval && fact("Approval", `${step.approval.status}, until ${step.approval.expires_at}`),
	);
	const parts = [heading, facts];
	if (step.reasoning) parts.push(element("p", { class: "reasoning" }, step.reasoning));
	parts.push(element("h3", {}, "Input"), pretty(step.input));
	if (step.output !== null && step.output !== undefined) {
		parts.push(element("h3", {}, "Output"), pretty(step.output));
	}
	if (step.error) {
		parts.push(
			element("h3", {}, "Error"),
			element("p", { class: "error" }, `${step.error.code}: ${step.error.message}`),
		);
	}
	if (step.approval?.status === "requested") parts.push(approvalControls(step));
	panel.replaceChildren(...parts);
}

function fact(name, value) {
	return element("div", {}, element("dt", {}, name), element("dd", {}, value));
}

function approvalControls(step) {
	const reason = element("input", { id: "reject-reason", name: "reason", maxlength: 1000 });
	const steer = (action) => async () => {
		const body =
			action === "reject" ? { reason: reason.value.trim() || "Rejected in the viewer" } : undefined;
		await control(
			`${path}/steps/${step.step_number}/${action}`,
			body,
			`Step ${step.step_number}: ${action}d`,
		);
	};
	return element(
		"fieldset",
		{ class: "actions" },
		element("legend", {}, "Approval"),
		element("button", { type: "button", onclick: steer("approve") }, "Approve"),
		element("label", { for: "reject-reason" }, "Reason"),
		reason,
		element("button", { type: "button", class: "danger", onclick: steer("reject") }, "Reject"),
	);
}

async function control(url, body, done) {
	try {
		const answer = await api(url, { method: "POST", body: body ?? {} });
		announce(done);
		return answer;
	} catch (error) {
		announce(`${error.message}`, "error");
		return null;
	}
}

function describe(event) {
	const { data } = event;
	const number = data.step ?? data.step_number;
	const step = number === undefined ? "" : ` (step ${number})`;
	const error = data.error ? `: ${data.error.code}` : "";
	return `${event.type.replaceAll("_", " ")}${step}${error}`;
}

function addEvent(event) {
	if (event.seq <= lastSeq) return;
	lastSeq = event.seq;
	timeline.append(
		element(
			"li",
			{ "data-seq": event.seq, "data-type": event.type },
			element("span", { class: "seq" }, `#${event.seq}`),
			" ",
			element("time", { datetime: event.at }, new Date(event.at).toLocaleTimeString()),
			" ",
			describe(event),
		),
	);
}

/** One GET of the view per burst of events, not one per event. */
function scheduleRefresh() {
	clearTimeout(refreshTimer);
	refreshTimer = setTimeout(async () => {
		try {
			render(await api(path));
		} catch (error) {
			announce(`Could not refresh the run: ${error.message}`, "error");
		}
	}, 80);
}

function setConnection(state) {
	connection.textContent = state;
	connection.dataset.state = state;
}

async function follow() {
	if (TERMINAL.has(run.status)) {
		setConnection("finished");
		return;
	}
	setConnection("connecting");
	let url;
	try {
		url = await socketUrl(runId, lastSeq);
	} catch (error) {
		announce(`Cannot follow the run: ${error.message}`, "error");
		return retry();
	}
	socket = new WebSocket(url);
	socket.addEventListener("open", () => {
		reconnectDelay = 500;
		setConnection("live");
	});
	socket.addEventListener("message", (message) => {
		const payload = JSON.parse(message.data);
		if (payload.type === "snapshot") {
			lastSeq = Math.max(lastSeq, payload.seq);
			render(payload.run);
		} else if (payload.type === "event") {
			addEvent(payload.event);
			scheduleRefresh();
		}
	});
	socket.addEventListener("close", (event) => {
		socket = undefined;
		if (event.code === 1000 && event.reason === "run finished") {
			setConnection("finished");
			scheduleRefresh();
			return;
		}
		retry();
	});
}

function retry() {
	setConnection("reconnecting");
	setTimeout(follow, reconnectDelay);
	reconnectDelay = Math.min(reconnectDelay * 2, 10_000);
}

async function loadEvents() {
	for (let after = 0; after !== null; ) {
		const page = await api(`${path}/events?after=${after}&limit=1000`);
		for (const event of page.events) addEvent(event);
		after = page.next_after;
	}
}

document
	.querySelector('[data-action="cancel"]')
	.addEventListener("click", () =>
		control(`${path}/cancel`, { compensate: false }, "Cancel requested"),
	);
document.querySelector('[data-action="retry"]').addEventListener("click", async () => {
	const retried = await control(`${path}/retry`, {}, "Retrying the failed steps");
	if (!retried) return;
	// The run is live again: show it so, then follow it from the last event seen.
	render(retried);
	if (!socket) await follow();
});
document.querySelector('[data-action="fork"]').addEventListener("click", async () => {
	const fork = await control(`${path}/fork`, {}, "Forked");
	if (fork) location.assign(`/run?id=${encodeURIComponent(fork.run_id)}`);
});

async function main() {
	if (!runId) {
		announce("No run id in the address: open a run from the list.", "error");
		return;
	}
	try {
		render(await api(path));
		await loadEvents();
		await follow();
	} catch (error) {
		const badge = document.getElementById("run-status");
		badge.textContent = error.status === 404 ? "not found" : "unavailable";
		announce(`Could not load the run: ${error.message}`, "error");
	}
}

await main();
