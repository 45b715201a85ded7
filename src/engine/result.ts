/**
 * The one shape of "did it work" across the engine and the RPC contracts: a value, or an error
 * that says why not. Never null for success, never a bare boolean with the reason elsewhere.
 */
export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };

export function ok<T>(value: T): { ok: true; value: T } {
	return { ok: true, value };
}

export function err<E>(error: E): { ok: false; error: E } {
	return { ok: false, error };
}
