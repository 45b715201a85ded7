/** A value that survives JSON.stringify and structured clone unchanged. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Reads a dotted path ("items.0.title") out of a JSON value; undefined when any hop is missing. */
export function readPath(value: Json, path: readonly string[]): Json | undefined {
	let current: Json | undefined = value;
	for (const key of path) {
		if (current === null || typeof current !== "object") return undefined;
		// Own properties only, so "__proto__" or "constructor" never walks into a prototype.
		if (!Object.hasOwn(current, key)) return undefined;
		current = Array.isArray(current) ? current[Number(key)] : current[key];
	}
	return current;
}
