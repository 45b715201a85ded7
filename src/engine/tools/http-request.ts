import { z } from "zod";
import { childSpan, formatTraceparent, type Span } from "../trace";
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

/**
 * Loopback, private, link-local and unspecified addresses, by literal: never reached unless
 * listed. IPv6 forms that carry an IPv4 address (::ffff:7f00:1, ::7f00:1, 64:ff9b::7f00:1) are
 * judged by that IPv4 address.
 */
export function isPrivateHost(hostname: string): boolean {
	const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
	if (host === "localhost" || host.endsWith(".localhost")) return true;
	if (host.includes(":")) return isPrivateV6(host);
	return isPrivateV4(host);
}

function isPrivateV4(host: string): boolean {
	const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
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

function isPrivateV6(host: string): boolean {
	const words = ipv6Words(host);
	// Not an address we can read: refuse rather than guess.
	if (!words) return true;
	const [w0 = 0, w1 = 0, w2 = 0, w3 = 0, w4 = 0, w5 = 0, w6 = 0, w7 = 0] = words;
	const upperZero = w0 === 0 && w1 === 0 && w2 === 0 && w3 === 0 && w4 === 0;
	if (upperZero && w5 === 0 && w6 === 0 && w7 <= 1) return true;
	const embedsV4 = (upperZero && (w5 === 0xffff || w5 === 0)) || (w0 === 0x64 && w1 === 0xff9b);
	if (embedsV4) return isPrivateV4(`${w6 >> 8}.${w6 & 255}.${w7 >> 8}.${w7 & 255}`);
	return (w0 & 0xfe00) === 0xfc00 || (w0 & 0xffc0) === 0xfe80;
}

/** The eight 16-bit words of an IPv6 literal (dotted IPv4 tail allowed), or undefined. */
function ipv6Words(host: string): number[] | undefined {
	let text = host.split("%")[0] ?? "";
	const dotted = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
	if (dotted) {
		const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
		text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
	}
	const halves = text.split("::");
	if (halves.length > 2) return undefined;
	const parse = (part: string | undefined) => (part ? part.split(":") : []);
	const head = parse(halves[0]);
	const tail = parse(halves[1]);
	const missing = 8 - head.length - tail.length;
	if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
	const words = [...head, ...Array<string>(halves.length === 1 ? 0 : missing).fill("0"), ...tail];
	if (!words.every((word) => /^[0-9a-f]{1,4}$/.test(word))) return undefined;
	return words.map((word) => Number.parseInt(word, 16));
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
	precheck: ({ url }, services) => {
		const refusal = checkUrl(new URL(url), services.http.allowlist);
		return refusal ? { code: "host_not_allowed", message: refusal, retryable: false } : undefined;
	},
	async execute({ method, url, headers, body }, ctx) {
		const target = new URL(url);
		const refusal = checkUrl(target, ctx.services.http.allowlist);
		if (refusal) return fail("host_not_allowed", refusal);
		let response: Response;
		try {
			response = await fetch(target, {
				method,
				headers: withTrace(withIdempotencyKey(headers, ctx.idempotencyKey), ctx.trace),
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

/**
 * Delivery is at least once (a report can be lost and the message redelivered), so the remote
 * gets the step's effect key to recognise a repeat; a key the plan set itself is kept.
 */
function withIdempotencyKey(headers: Record<string, string> | undefined, key: string): Headers {
	const merged = new Headers(headers);
	if (!merged.has("Idempotency-Key")) merged.set("Idempotency-Key", key);
	return merged;
}

/** The call joins the run's trace as a child span of the attempt, unless the plan set its own. */
export function withTrace(headers: Headers, trace: Span | undefined): Headers {
	if (trace && !headers.has("traceparent")) {
		headers.set("traceparent", formatTraceparent(childSpan(trace, "http")));
	}
	return headers;
}

export async function readCapped(
	response: Response,
	maxBytes = MAX_RESPONSE_BYTES,
): Promise<{ text: string; truncated: boolean }> {
	if (!response.body) return { text: "", truncated: false };
	const reader = response.body.getReader();
	const chunks: Uint8Array[] = [];
	let size = 0;
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		chunks.push(value);
		size += value.byteLength;
		if (size > maxBytes) {
			await reader.cancel();
			break;
		}
	}
	const bytes = new Uint8Array(Math.min(size, maxBytes));
	let offset = 0;
	for (const chunk of chunks) {
		const part = chunk.subarray(0, Math.max(0, bytes.byteLength - offset));
		bytes.set(part, offset);
		offset += part.byteLength;
	}
	return { text: new TextDecoder().decode(bytes), truncated: size > maxBytes };
}
