/**
 * Signing of calls to tenants' HTTP tools, in the shape of the common webhook schemes:
 * `X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. A receiver recomputes
 * the HMAC with the tool's secret, compares in constant time, and refuses an old `t`.
 */
export const SIGNATURE_HEADER = "X-Signature";

async function hmac(secret: string, message: string): Promise<string> {
	const key = await crypto.subtle.importKey(
		"raw",
		new TextEncoder().encode(secret),
		{ name: "HMAC", hash: "SHA-256" },
		false,
		["sign"],
	);
	const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(message));
	return [...new Uint8Array(mac)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

export async function signatureHeader(
	secret: string,
	body: string,
	nowMs: number,
): Promise<string> {
	const t = Math.floor(nowMs / 1000);
	return `t=${t},v1=${await hmac(secret, `${t}.${body}`)}`;
}

/** Whether `header` signs `body` with `secret`, made within `toleranceS` of `nowMs`. */
export async function verifySignature(
	secret: string,
	body: string,
	header: string,
	nowMs: number,
	toleranceS = 300,
): Promise<boolean> {
	const parts = Object.fromEntries(header.split(",").map((part) => part.split("=", 2)));
	const t = Number(parts.t);
	if (!Number.isInteger(t) || Math.abs(nowMs / 1000 - t) > toleranceS) return false;
	const expected = await hmac(secret, `${t}.${body}`);
	const given = String(parts.v1 ?? "");
	if (given.length !== expected.length) return false;
	let difference = 0;
	for (let i = 0; i < expected.length; i += 1) {
		difference |= expected.charCodeAt(i) ^ given.charCodeAt(i);
	}
	return difference === 0;
}
