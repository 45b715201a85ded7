import { drizzle } from "drizzle-orm/d1";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { DEFAULT_TENANT } from "../../config";
import { tenantForKeyHash } from "../../db/api-keys";
import { BoundedCache } from "../../engine/bounded-cache";
import { AppError } from "../../engine/errors";
import { type Bucket, type BucketConfig, take } from "../../engine/resilience/token-bucket";
import { authRequired, isProduction, type Settings } from "../../settings";
import type { AppEnv } from "../app-env";
import type { ApiErrorCode } from "../errors";
import { streamedRunId, tenantOfStreamToken } from "../stream-token";

/** Liveness and the API's own description: nothing in them is a tenant's. */
const PUBLIC_PATHS = new Set(["/health", "/openapi.json", "/docs"]);
const BEARER = /^Bearer ([\x21-\x7e]{16,256})$/;
const KNOWN_KEY_MS = 60_000;
const UNKNOWN_KEY_MS = 10_000;
/** Key hash → tenant (or none), per isolate, so a hot key costs one D1 read a minute. */
const keys = new BoundedCache<string | null>(10_000, KNOWN_KEY_MS);
/**
 * Failed authentications per client address, per isolate: 30 in a burst, then one every 2 s.
 * Checked before any D1 read, so a flood of invented keys costs a map lookup, not a query.
 */
const FAILURES: BucketConfig = { capacity: 30, refill_per_s: 0.5 };
const failures = new BoundedCache<Bucket>(10_000, 120_000);

/**
 * Resolves the caller's tenant. With auth off (local development) everyone is the default tenant.
 * With auth on, `Authorization: Bearer <key>` must name a live key; its SHA-256 is compared, so
 * the key itself is never stored, logged or compared byte by byte. A browser cannot send that
 * header on a WebSocket or EventSource, so the two live routes of a run also take `?token=`, a
 * stream token for exactly that run; every other route ignores it.
 */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
	const { settings } = c.var;
	if (PUBLIC_PATHS.has(c.req.path) || !authRequired(settings)) {
		c.set("tenant", DEFAULT_TENANT);
		return next();
	}
	if (isProduction(settings) && !settings.BOOTSTRAP_API_KEY) {
		throw new AppError<ApiErrorCode>(
			"auth_not_configured",
			"This deployment has no key store: set the BOOTSTRAP_API_KEY secret",
		);
	}
	const address = c.req.header("CF-Connecting-IP") ?? "unknown";
	refuseFlooding(c, address);
	const streamToken = c.req.query("token");
	const streamedRun = streamedRunId(c.req.path);
	if (streamToken !== undefined && streamedRun && !c.req.header("Authorization")) {
		const tenant = await tenantOfStreamToken(settings, streamToken, streamedRun);
		if (!tenant) {
			recordFailure(address);
			throw new AppError<ApiErrorCode>(
				"unauthorized",
				"The stream token is expired, altered or for another run",
			);
		}
		c.set("tenant", tenant);
		return next();
	}
	const match = BEARER.exec(c.req.header("Authorization") ?? "");
	if (!match?.[1]) {
		recordFailure(address);
		throw new AppError<ApiErrorCode>("unauthorized", "Send Authorization: Bearer <api key>");
	}
	const tenant = await tenantFor(c.env, settings, match[1]);
	if (!tenant) {
		recordFailure(address);
		throw new AppError<ApiErrorCode>("unauthorized", "Unknown or revoked API key");
	}
	c.set("tenant", tenant);
	await next();
});

let bootstrapDigest: { secret: string; hash: Promise<ArrayBuffer> } | undefined;

async function tenantFor(env: Env, settings: Settings, key: string): Promise<string | undefined> {
	const hash = await sha256(key);
	// The secret's digest is computed once per isolate (and again only if the secret changes).
	const bootstrap = settings.BOOTSTRAP_API_KEY;
	if (bootstrap) {
		if (bootstrapDigest?.secret !== bootstrap) {
			bootstrapDigest = { secret: bootstrap, hash: sha256(bootstrap) };
		}
		if (await sameHash(hash, await bootstrapDigest.hash)) return settings.BOOTSTRAP_TENANT;
	}
	const hex = [...new Uint8Array(hash)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
	const cached = keys.get(hex, Date.now());
	if (cached !== undefined) return cached ?? undefined;
	const tenant = await tenantForKeyHash(drizzle(env.DB), hex);
	keys.set(hex, tenant ?? null, Date.now(), tenant ? KNOWN_KEY_MS : UNKNOWN_KEY_MS);
	return tenant;
}

/** 429 before any work when this address has used up its failed attempts. */
function refuseFlooding(c: Context<AppEnv>, address: string): void {
	const bucket = failures.get(address, Date.now());
	if (!bucket) return;
	const peek = take(bucket, 1, Date.now(), FAILURES);
	if (peek.allowed) return;
	const seconds = Math.max(1, Math.ceil(peek.retry_after_ms / 1000));
	c.header("Retry-After", String(seconds));
	throw new AppError<ApiErrorCode>(
		"rate_limited",
		`Too many failed authentications from this address; retry in ${seconds} s`,
		{ retry_after_s: seconds },
	);
}

function recordFailure(address: string): void {
	const now = Date.now();
	failures.set(address, take(failures.get(address, now), 1, now, FAILURES).bucket, now);
}

function sha256(text: string): Promise<ArrayBuffer> {
	return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
}

/** Both are 32-byte digests, so the constant-time compare never sees unequal lengths. */
async function sameHash(a: ArrayBuffer, b: ArrayBuffer): Promise<boolean> {
	return crypto.subtle.timingSafeEqual(a, b);
}
