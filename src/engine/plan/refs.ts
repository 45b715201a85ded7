import { type Json, readPath } from "../json";

const REF_PATTERN = /^steps\.(\d+)\.output((?:\.[^.]+)*)$/;

export interface StepRef {
	/** Where the reference sits inside the step input. */
	at: (string | number)[];
	step: number;
	outputPath: string[];
}

/** True for `{"$ref": "..."}`: an object whose only key is "$ref". */
export function isRefObject(value: Json): value is { $ref: Json } {
	return (
		value !== null &&
		typeof value === "object" &&
		!Array.isArray(value) &&
		Object.hasOwn(value, "$ref") &&
		Object.keys(value).length === 1
	);
}

/** Parses "steps.3.output.todos.0" into its step and path; undefined when malformed. */
export function parseRef(ref: Json): Omit<StepRef, "at"> | undefined {
	if (typeof ref !== "string") return undefined;
	const match = REF_PATTERN.exec(ref);
	if (!match?.[1]) return undefined;
	const path = match[2] ? match[2].slice(1).split(".") : [];
	return { step: Number(match[1]), outputPath: path };
}

/** Every reference in a step input, malformed ones included (with step NaN). */
export function findRefs(value: Json, at: (string | number)[] = []): StepRef[] {
	if (value === null || typeof value !== "object") return [];
	if (isRefObject(value)) {
		const parsed = parseRef(value.$ref);
		return [{ at, step: parsed?.step ?? Number.NaN, outputPath: parsed?.outputPath ?? [] }];
	}
	if (Array.isArray(value)) return value.flatMap((item, index) => findRefs(item, [...at, index]));
	return Object.entries(value).flatMap(([key, item]) => findRefs(item, [...at, key]));
}

export class UnresolvedRefError extends Error {}

/** Replaces every reference with the recorded output it names. */
export function resolveRefs(value: Json, outputs: ReadonlyMap<number, Json>): Json {
	if (value === null || typeof value !== "object") return value;
	if (isRefObject(value)) {
		const parsed = parseRef(value.$ref);
		const output = parsed ? outputs.get(parsed.step) : undefined;
		const resolved =
			parsed && output !== undefined ? readPath(output, parsed.outputPath) : undefined;
		if (resolved === undefined) {
			throw new UnresolvedRefError(`Reference '${String(value.$ref)}' names no recorded output`);
		}
		return resolved;
	}
	if (Array.isArray(value)) return value.map((item) => resolveRefs(item, outputs));
	const result: { [key: string]: Json } = {};
	for (const [key, item] of Object.entries(value)) {
		// defineProperty, so a "__proto__" key stays data instead of replacing the prototype.
		Object.defineProperty(result, key, {
			value: resolveRefs(item, outputs),
			enumerable: true,
			writable: true,
			configurable: true,
		});
	}
	return result;
}
