import { z } from "zod";

/** A value that survives JSON.stringify and structured clone unchanged. */
// Named interfaces, not an inline recursive union: TypeScript then compares them by name, so the
// RPC stub types of Durable Objects that take and return JSON stay finite.
export type Json = null | boolean | number | string | JsonArray | JsonObject;
export interface JsonArray extends Array<Json> {}
export interface JsonObject {
	[key: string]: Json;
}

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

/** zod's JSON schema, typed as this module's Json so that the named interfaces above are used. */
export const JsonSchema: z.ZodType<Json> = z.json();
