import { Validator } from "@cfworker/json-schema";
import { z } from "zod";
import type { JsonObject } from "../../json";
import { err, ok, type Result } from "../../result";

/** A registered schema's limits: it is untrusted input, kept and shown to a model. */
export const MAX_SCHEMA_BYTES = 16 * 1024;
export const MAX_SCHEMA_DEPTH = 16;

export type JsonSchema = JsonObject;

const TYPES = new Set(["object", "array", "string", "number", "integer", "boolean", "null"]);

/**
 * Checks a tenant's JSON Schema (draft 2020-12) before it is stored: an object, at most 16 KB
 * and 16 levels deep, `$ref` only to its own parts ("#…"), known `type` names, and compilable.
 * `root` says what the root must describe ("object" for inputs). Answers every problem found.
 */
export function checkSchema(schema: unknown, root?: "object"): Result<JsonSchema, string[]> {
	if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
		return err(["must be a JSON Schema object"]);
	}
	const problems: string[] = [];
	if (JSON.stringify(schema).length > MAX_SCHEMA_BYTES) {
		problems.push(`is larger than ${MAX_SCHEMA_BYTES} bytes`);
	}
	const stack: Array<{ value: unknown; path: string; depth: number }> = [
		{ value: schema, path: "", depth: 0 },
	];
	for (let next = stack.pop(); next; next = stack.pop()) {
		const { value, path, depth } = next;
		if (typeof value !== "object" || value === null) continue;
		if (depth > MAX_SCHEMA_DEPTH) {
			problems.push(`is nested deeper than ${MAX_SCHEMA_DEPTH} levels at ${path || "/"}`);
			break;
		}
		for (const [key, item] of Object.entries(value)) {
			const here = `${path}/${key}`;
			if (key === "$ref" && (typeof item !== "string" || !item.startsWith("#"))) {
				problems.push(`${here}: only references inside the schema ("#/…") are allowed`);
			}
			if (key === "$id" || key === "$dynamicRef" || key === "$dynamicAnchor") {
				problems.push(`${here}: ${key} is not supported`);
			}
			if (key === "type" && !Array.isArray(value)) {
				const names = Array.isArray(item) ? item : [item];
				if (!names.every((name) => typeof name === "string" && TYPES.has(name))) {
					problems.push(`${here}: not a JSON Schema type`);
				}
			}
			stack.push({ value: item, path: here, depth: depth + 1 });
		}
	}
	if (root === "object" && (schema as JsonSchema).type !== "object") {
		problems.push('the root must be { "type": "object", … }');
	}
	if (problems.length === 0) {
		try {
			new Validator(schema as JsonSchema, "2020-12").validate({});
		} catch (error) {
			problems.push(`does not compile: ${String(error)}`);
		}
	}
	return problems.length ? err(problems) : ok(schema as JsonSchema);
}

/** The problems of `value` against `schema`, each as "path: message"; empty when valid. */
export function schemaProblems(schema: JsonSchema, value: unknown): string[] {
	const result = new Validator(schema, "2020-12", false).validate(value);
	if (result.valid) return [];
	return result.errors
		.filter((error) => error.keyword !== "properties" && error.keyword !== "items")
		.map((error) => `${error.instanceLocation.replace(/^#/, "") || "/"}: ${error.error}`)
		.slice(0, 10);
}

/**
 * A zod schema that accepts exactly what the JSON Schema accepts, so a tenant's tool takes its
 * place wherever the engine validates a built-in tool's input with zod.
 */
export function zodFromJsonSchema(schema: JsonSchema) {
	const validator = new Validator(schema, "2020-12", false);
	return z.record(z.string(), z.json()).superRefine((value, ctx) => {
		const result = validator.validate(value);
		if (result.valid) return;
		for (const error of result.errors.filter((e) => e.keyword !== "properties").slice(0, 10)) {
			const path = error.instanceLocation.replace(/^#\/?/, "").split("/").filter(Boolean);
			ctx.addIssue({ code: "custom", path, message: error.error });
		}
	});
}
