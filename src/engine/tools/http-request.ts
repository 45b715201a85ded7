import { z } from "zod";
import { defineTool, fail, succeed } from "./types";

export const MAX_RESPONSE_BYTES = 256 * 1024;

const PRIVATE_V4 = [
	[0, 8],
	[10, 8],
	[127, 8],
	[169 * 256 + 254, 16],
	[172 * 256 + 16, 12],
	[192 * 256 + 168, 16],
	[100 * 256 + 64, 10],
] as const;

/** Loopback, private, link-local and unspecified addresses, by literal: never reached unless listed. */
export function isPrivateHost(hostname: string): boolean {
	const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
	if (host === "localhost" || host.endsWith(".localhost") || host === "::" || host === "::1")
		return true;
	if (/^(fc|fd|fe8|fe9|fea|feb)/.test(host) && host.includes(":")) return true;
	const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host.replace(/^::ffff:/, ""));
	if (!v4) return false;
	const [a, b] = [Number(v4[1]), Number(v4[2])];
	return PRIVATE_V4.some(([prefix, bits]) =>
		bits === 8
			? a === prefix
			: bits === 16
				? a * 256 + b === prefix
				: (a * 256 + b) >> (16 - bits) === prefix >> (16 - bits),
	);
}

/** Whether `url` may be fetched: on the allowlist (host, or host:port), and not private unless listed by name. */
export function checkUrl(url: URL, allowlist: readonly string[]): string | undefined {
	if (url.protocol !== "https:" && url.protocol !== "http:")
		return `Only http and https URLs are allowed, not ${url.protocol}`;
	if (allowlist.length === 0)
		return "http.request is off: no host is on the allowlist (HTTP_ALLOWLIST)";
	const listed = allowlist.includes(url.host) || allowlist.includes(url.hostname);
	if (isPrivateHost(url.hostname) && !allowlist.includes(url.host)) {
		return `${url.host} is a private or loopback address; list it exactly (host:port) to allow it`;
	}
	return listed ? undefined : `${url.hostname} is not on the allowlist`;
}

/**
 * HTTP to hosts an operator listed, and nothing else: private and loopback addresses are refused
 * unless listed exactly, redirects are not followed, and the body is capped at 256 KB.
 */
export const httpRequestTool = defineTool({
	name: "http.request",
	description:
		"Makes an HTTP request to an allowlisted host and returns { status, headers, body }.",
	input: z
		.object({
			method: z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]).default("GET"),
			url: z.url().max(2_048),
			headers: z.record(z.string().max(256), z.string().max(4_096)).optional(),
			body: z
				.string()
				.max(64 * 1024)
				.optional(),
		})
		.strict(),
	mutates: true,
	// External latency must not hold the run's object: the queue consumer makes the request.
	execution: "queued",
	preview: ({ method, url }) => `${method} ${url}`,
	async execute({ method, url, headers, body }, ctx) {
		const target = new URL(url);
		const refusal = checkUrl(target, ctx.services.http.allowlist);
		if (refusal) return fail("host_not_allowed", refusal);
		let response: Response;
		try {
			response = await fetch(target, {
				method,
				headers,
				body,
				redirect: "manual",
				signal: ctx.signal,
			});
		} catch (error) {
			return fail("http_unreachable", `${target.host} did not answer: ${String(error)}`, true);
		}
		if (response.status === 429 || response.status >= 500) {
			await response.body?.cancel();
			return fail("http_status", `${target.host} answered ${response.status}`, true);
		}
		const { text, truncated } = await readCapped(response);
		return succeed({
			status: response.status,
			headers: Object.fromEntries(response.headers),
			body: text,
			truncated,
		});
	},
});

async function readCapped(response: Response): Promise<{ text: string; truncated: boolean }> {
	if (!response.body) return { text: "", truncated: false };
	const reader = response.body.getReader();
	const chunks: Uint8Array[] = [];
	let size = 0;
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		chunks.push(value);
		size += value.byteLength;
		if (size > MAX_RESPONSE_BYTES) {
			await reader.cancel();
			break;
		}
	}
	const bytes = new Uint8Array(Math.min(size, MAX_RESPONSE_BYTES));
	let offset = 0;
	for (const chunk of chunks) {
		const part = chunk.subarray(0, Math.max(0, bytes.byteLength - offset));
		bytes.set(part, offset);
		offset += part.byteLength;
	}
	return { text: new TextDecoder().decode(bytes), truncated: size > MAX_RESPONSE_BYTES };
}
