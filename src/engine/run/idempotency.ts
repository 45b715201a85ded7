import { type RunState, type RunView, toRunView } from "./state";

/**
 * What a keyed request (Idempotency-Key) finds in the run object its key names: nothing yet, its
 * own run again, its run already purged from the object (the D1 archive serves it), or a run of
 * another request.
 */
export type KeyClaim =
	| { status: "new" }
	| { status: "replay"; run: RunView }
	| { status: "archived" }
	| { status: "conflict" };

/** What creating a run answers: the new run, or what the key already held. */
export type Creation = Exclude<KeyClaim, { status: "new" }> | { status: "created"; run: RunView };

/** Kept in a keyed run's object after retention purges the run, so the key stays its run's. */
export interface PurgedRequest {
	tenant: string;
	request_hash: string;
}

/**
 * The claim of a request with body hash `requestHash` (null without a key) on an object holding
 * `state`, or `purged` once retention emptied it. A repeat needs the same tenant and body.
 */
export function claimOf(
	state: RunState | undefined,
	purged: PurgedRequest | undefined,
	tenant: string,
	requestHash: string | null,
): KeyClaim {
	const held = state ?? purged;
	if (!held) return { status: "new" };
	const same = held.tenant === tenant && held.request_hash === requestHash;
	if (!same) return { status: "conflict" };
	return state ? { status: "replay", run: toRunView(state) } : { status: "archived" };
}
