// The API as the viewer calls it: same origin, the API key (when auth is on) kept in this tab's
// session storage only, and every error in the API's one shape turned into an Error with its code.

const KEY = "edge-agent-runtime.api-key";

export class ApiError extends Error {
	constructor(status, code, message) {
		super(message);
		this.status = status;
		this.code = code;
	}
}

export const apiKey = {
	get: () => sessionStorage.getItem(KEY),
	set: (key) => sessionStorage.setItem(KEY, key),
	clear: () => sessionStorage.removeItem(KEY),
};

/**
 * Asks for a key in the page's dialog: resolves true once one is entered, false when the dialog
 * is dismissed (Escape).
 */
function askForKey(reason) {
	const dialog = document.getElementById("key-dialog");
	const form = dialog.querySelector("form");
	dialog.querySelector("[data-reason]").textContent = reason;
	dialog.showModal();
	return new Promise((resolve) => {
		const submitted = () => {
			apiKey.set(form.elements.key.value.trim());
			form.reset();
		};
		form.addEventListener("submit", submitted, { once: true });
		dialog.addEventListener(
			"close",
			() => {
				form.removeEventListener("submit", submitted);
				resolve(Boolean(apiKey.get()));
			},
			{ once: true },
		);
	});
}

const NEEDS_KEY =
	"This server has auth on: enter an API key (npm run keys -- create --tenant <name>).";

/** JSON in, JSON out; a 401 asks for a key, again after a wrong one, until one works or none is given. */
export async function api(path, { method = "GET", body } = {}) {
	for (;;) {
		const headers = { Accept: "application/json" };
		const key = apiKey.get();
		if (key) headers.Authorization = `Bearer ${key}`;
		if (body !== undefined) headers["Content-Type"] = "application/json";
		const res = await fetch(path, {
			method,
			headers,
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const payload = await res.json().catch(() => null);
		if (res.status === 401) {
			apiKey.clear();
			const reason = key
				? `That key was refused: ${payload?.error?.message ?? "unauthorized"}.`
				: NEEDS_KEY;
			if (await askForKey(reason)) continue;
			throw new ApiError(401, "unauthorized", "An API key is needed to use this server");
		}
		if (!res.ok) {
			const error = payload?.error ?? { code: "http_error", message: res.statusText };
			throw new ApiError(res.status, error.code, error.message);
		}
		return payload;
	}
}

/** A WebSocket URL for following `runId` after `seq`, carrying a fresh stream token. */
export async function socketUrl(runId, after) {
	const { token } = await api(`/runs/${encodeURIComponent(runId)}/stream-token`, {
		method: "POST",
	});
	const url = new URL(`/runs/${encodeURIComponent(runId)}/ws`, location.href);
	url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
	url.searchParams.set("token", token);
	if (after !== undefined) url.searchParams.set("after", String(after));
	return url.toString();
}

/** "3 s ago", "5 min ago": how old an ISO instant is. */
export function age(iso, now = Date.now()) {
	if (!iso) return "";
	const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
	if (seconds < 60) return `${seconds} s ago`;
	if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
	if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`;
	return `${Math.round(seconds / 86_400)} d ago`;
}

/** Shows a message in the page's live region, so screen readers hear it too. */
export function announce(message, kind = "info") {
	const region = document.getElementById("status-message");
	region.textContent = message;
	region.dataset.kind = kind;
}

export function element(tag, attributes = {}, ...children) {
	const node = document.createElement(tag);
	for (const [name, value] of Object.entries(attributes)) {
		if (value === undefined || value === null || value === false) continue;
		if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
		else if (name === "dataset") Object.assign(node.dataset, value);
		else node.setAttribute(name, value === true ? "" : String(value));
	}
	node.append(...children.flat().filter((child) => child !== undefined && child !== null));
	return node;
}
