import { sign, verify } from "hono/jwt";
import { AppError } from "../engine/errors";
import { authRequired, isProduction, type Settings } from "../settings";
import type { ApiErrorCode } from "./errors";

/**
 * With auth off a missing secret falls back to this one, so that a local viewer works with no
 * setup. It is public, so tokens signed with it prove nothing; with auth off nothing needs proof.
 */
const DEVELOPMENT_SECRET = "development-only stream token secret, never for production";
const AUDIENCE = "run-stream";

/** The only routes a stream token opens: following one run live. */
const STREAM_PATH = /^\/runs\/([^/]+)\/(?:ws|stream)$/;

/** The run a stream route follows, or undefined for every other path. */
export function streamedRunId(path: string): string | undefined {
	return STREAM_PATH.exec(path)?.[1];
}

/**
 * Outside production with auth on and no secret configured: random, made on first use (random
 * values cannot be made at startup), so nobody can forge a token, and local development needs no
 * setup. Tokens signed with it end with the isolate; locally, that is the server.
 */
let isolateSecret: string | undefined;

/**
 * STREAM_TOKEN_SECRET when set. Outside production with auth on, a secret derived from the
 * bootstrap key (which nobody without that key can compute), or else the isolate's random one;
 * with auth off, the public one. Production refuses to issue or accept tokens without the secret.
 */
function secretOf(settings: Settings): string {
	if (settings.STREAM_TOKEN_SECRET) return settings.STREAM_TOKEN_SECRET;
	if (!isProduction(settings)) {
		if (!authRequired(settings)) return DEVELOPMENT_SECRET;
		if (settings.BOOTSTRAP_API_KEY) return `stream-token:${settings.BOOTSTRAP_API_KEY}`;
		isolateSecret ??= crypto.randomUUID() + crypto.randomUUID();
		return isolateSecret;
	}
	throw new AppError<ApiErrorCode>(
		"misconfigured",
		"Stream tokens need the STREAM_TOKEN_SECRET secret",
	);
}

/** A token that lets its bearer follow one run of one tenant until it expires. */
export async function issueStreamToken(
	settings: Settings,
	tenant: string,
	runId: string,
	now = Date.now(),
): Promise<{ token: string; expires_at: string }> {
	const issuedAt = Math.floor(now / 1000);
	const expiresAt = issuedAt + settings.STREAM_TOKEN_TTL_S;
	const token = await sign(
		{ sub: tenant, run: runId, aud: AUDIENCE, iat: issuedAt, exp: expiresAt },
		secretOf(settings),
		"HS256",
	);
	return { token, expires_at: new Date(expiresAt * 1000).toISOString() };
}

/**
 * The tenant a token speaks for, when it is genuine, unexpired and for exactly `runId`;
 * undefined otherwise. Which of those failed is not told: a caller only learns "no".
 */
export async function tenantOfStreamToken(
	settings: Settings,
	token: string,
	runId: string,
): Promise<string | undefined> {
	try {
		const claims = await verify(token, secretOf(settings), { alg: "HS256", aud: AUDIENCE });
		if (claims.run !== runId || typeof claims.sub !== "string") return undefined;
		return claims.sub;
	} catch (error) {
		if (error instanceof AppError) throw error;
		return undefined;
	}
}
