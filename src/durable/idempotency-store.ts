/**
 * IdempotencyStore: one object per (tenant, Idempotency-Key), so two requests with one key are
 * serialised by the platform and exactly one of them creates a run.
 *
 * State: the first request's body hash and its run's creation input, for 24 hours; an alarm
 * forgets them after that.
 */
import { DurableObject } from "cloudflare:workers";
import type { RunInit } from "./run-api";

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1_000;

interface Claim {
	body_hash: string;
	init: RunInit;
	claimed_at: number;
}

export type ClaimResult =
	| { status: "new" }
	| { status: "replay"; init: RunInit }
	| { status: "conflict" };

export class IdempotencyStore extends DurableObject<Env> {
	/** What the key holds, without claiming it: lets a replay skip planning. */
	async peek(bodyHash: string): Promise<ClaimResult> {
		return this.lookup(bodyHash) ?? { status: "new" };
	}

	/** Records `init` under the key, or returns what the key already holds. */
	async claim(bodyHash: string, init: RunInit): Promise<ClaimResult> {
		const existing = this.lookup(bodyHash);
		if (existing) return existing;
		this.ctx.storage.kv.put("claim", { body_hash: bodyHash, init, claimed_at: Date.now() });
		await this.ctx.storage.setAlarm(Date.now() + IDEMPOTENCY_TTL_MS);
		return { status: "new" };
	}

	private lookup(bodyHash: string): ClaimResult | undefined {
		const existing = this.ctx.storage.kv.get<Claim>("claim");
		if (!existing || Date.now() - existing.claimed_at >= IDEMPOTENCY_TTL_MS) return undefined;
		return existing.body_hash === bodyHash
			? { status: "replay", init: existing.init }
			: { status: "conflict" };
	}

	override async alarm(): Promise<void> {
		await this.ctx.storage.deleteAll();
	}
}

/** The store for one key of one tenant; typed by hand for the same reason as runClient. */
export function idempotencyClient(env: Env, tenant: string, key: string) {
	const stub = env.IDEMPOTENCY.get(env.IDEMPOTENCY.idFromName(`${tenant}:${key}`));
	return stub;
}
