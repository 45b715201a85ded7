import { hc } from "hono/client";
import type { AppType } from "../worker/app";

export { followRun, type LiveMessage } from "./follow";
export type { AppType };

export interface ClientOptions {
	/** An API key; leave it out when the server runs with AUTH off. */
	apiKey?: string;
	/** Another fetch (a service binding's, a test's); the global one by default. */
	fetch?: typeof fetch;
}

/**
 * A typed client for the API: every route, its parameters, its body and its JSON answer are
 * typed from the Worker's own app (hono/client), so a change to a route is a type error here.
 *
 *     const api = createClient("http://localhost:8787", { apiKey });
 *     const res = await api.runs.$post({ json: { prompt: "calculate 2+3" } });
 */
export function createClient(baseUrl: string, options: ClientOptions = {}) {
	return hc<AppType>(baseUrl, {
		headers: options.apiKey ? { Authorization: `Bearer ${options.apiKey}` } : {},
		fetch: options.fetch,
	});
}

export type Client = ReturnType<typeof createClient>;
