import { sign, verify } from "hono/jwt";
import { AppError } from "../engine/errors";
import { isProduction, type Settings } from "../settings";
import type { ApiErrorCode } from "./errors";

/**
 * Outside production a missing secret falls back to this one, so that a local viewer works with
 * no setup. It is public, so tokens signed with it prove nothing: production refuses to use it.
 */
const DEVELOPMENT_SECRET = "development-only stream token secret, never for production";
const AUDIENCE = "run-stream";

/** The only routes a stream token opens: following one run live. */
const STREAM_PATH = /^\/runs\/([^/]+)\/(?:ws|stream)$/;

/** The run a stream route follows, or undefined for every other path. */
export function streamedRunId(path: string): string | undefined {
	return STREAM_PATH.exec(path)?.[1];
}

function secretOf(settings: Settings): string {
	if (settings.STREAM_TOKEN_SECRET) return settings.STREAM_TOKEN_SECRET;
	if (isProduction(settings)) {
		throw new AppError<ApiErrorCode>(
			"misconfigured",
			"Stream tokens need the STREAM_TOKEN_SECRET secret",
		);
	}
	return DEVELOPMENT_SECRET;
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
