import { drizzle } from "drizzle-orm/d1";
import { createMiddleware } from "hono/factory";
import { authRequired, bootstrapTenant, DEFAULT_TENANT, isProduction } from "../../config";
import { tenantForKeyHash } from "../../db/api-keys";
import { AppError } from "../../engine/errors";
import type { AppEnv } from "../app-env";

const BEARER = /^Bearer ([\x21-\x7e]{16,256})$/;
const CACHE_MS = 60_000;
/** Key hash → tenant, per isolate, so a hot key costs one D1 read a minute. */
const cache = new Map<string, { tenant: string | undefined; until: number }>();

/**
 * Resolves the caller's tenant. With auth off (local development) everyone is the default tenant.
 * With auth on, `Authorization: Bearer <key>` must name a live key; its SHA-256 is compared, so
 * the key itself is never stored, logged or compared byte by byte.
 */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
	if (c.req.path === "/health" || !authRequired(c.env)) {
		c.set("tenant", DEFAULT_TENANT);
		return next();
	}
	if (isProduction(c.env) && !c.env.BOOTSTRAP_API_KEY) {
		throw new AppError(
			"auth_not_configured",
			"This deployment has no key store: set the BOOTSTRAP_API_KEY secret",
		);
	}
	const match = BEARER.exec(c.req.header("Authorization") ?? "");
	if (!match?.[1]) throw new AppError("unauthorized", "Send Authorization: Bearer <api key>");
	const tenant = await tenantFor(c.env, match[1]);
	if (!tenant) throw new AppError("unauthorized", "Unknown or revoked API key");
	c.set("tenant", tenant);
	await next();
});

let bootstrapDigest: { secret: string; hash: Promise<ArrayBuffer> } | undefined;

async function tenantFor(env: Env, key: string): Promise<string | undefined> {
	const hash = await sha256(key);
	// The secret's digest is computed once per isolate (and again only if the secret changes).
	const bootstrap = env.BOOTSTRAP_API_KEY;
	if (bootstrap) {
		if (bootstrapDigest?.secret !== bootstrap) {
			bootstrapDigest = { secret: bootstrap, hash: sha256(bootstrap) };
		}
		if (await sameHash(hash, await bootstrapDigest.hash)) return bootstrapTenant(env);
	}
	const hex = [...new Uint8Array(hash)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
	const cached = cache.get(hex);
	if (cached && cached.until > Date.now()) return cached.tenant;
	const tenant = await tenantForKeyHash(drizzle(env.DB), hex);
	cache.set(hex, { tenant, until: Date.now() + CACHE_MS });
	return tenant;
}

function sha256(text: string): Promise<ArrayBuffer> {
	return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
}

/** Both are 32-byte digests, so the constant-time compare never sees unequal lengths. */
async function sameHash(a: ArrayBuffer, b: ArrayBuffer): Promise<boolean> {
	return crypto.subtle.timingSafeEqual(a, b);
}
