import { Validator } from "@cfworker/json-schema";
import { z } from "zod";
import type { JsonObject } from "../../json";
import { err, ok, type Result } from "../../result";

/** A registered schema's limits: it is untrusted input, kept and shown to a model. */
export const MAX_SCHEMA_BYTES = 16 * 1024;
export const MAX_SCHEMA_DEPTH = 10;

export type JsonSchema = JsonObject;

const TYPES = new Set(["object", "array", "string", "number", "integer", "boolean", "null"]);

/**
 * Checks a tenant's JSON Schema (draft 2020-12) before it is stored: an object, at most 16 KB
 * and 10 levels of schemas deep; `$ref` only to its own parts ("#/…"), each of which must exist; keywords
 * with values of the right kind; patterns that compile and have no nested quantifier (which
 * could make validation take exponential time). `root` says what the root must describe
 * ("object" for inputs). Answers every problem found.
 */
export function checkSchema(schema: unknown, root?: "object"): Result<JsonSchema, string[]> {
	if (!isObject(schema)) return err(["must be a JSON Schema object"]);
	const problems: string[] = [];
	if (JSON.stringify(schema).length > MAX_SCHEMA_BYTES) {
		problems.push(`is larger than ${MAX_SCHEMA_BYTES} bytes`);
	}
	walk(schema, schema, "", 0, problems);
	if (root === "object" && schema.type !== "object") {
		problems.push('the root must be { "type": "object", … }');
	}
	if (problems.length === 0) {
		try {
			new Validator(schema as JsonSchema, "2020-12").validate({});
		} catch (error) {
			problems.push(`does not compile: ${String(error)}`);
		}
	}
	return problems.length ? err(problems.slice(0, 20)) : ok(schema as JsonSchema);
}

type Node = Record<string, unknown>;
const isObject = (value: unknown): value is Node =>
	typeof value === "object" && value !== null && !Array.isArray(value);

/** Keywords whose value is one schema, a map of schemas, or a list of schemas. */
const ONE_SCHEMA = [
	"items",
	"additionalProperties",
	"not",
	"if",
	"then",
	"else",
	"contains",
	"propertyNames",
	"unevaluatedItems",
	"unevaluatedProperties",
];
const SCHEMA_MAPS = ["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"];
const SCHEMA_LISTS = ["allOf", "anyOf", "oneOf", "prefixItems"];
const COUNTS = [
	"minLength",
	"maxLength",
	"minItems",
	"maxItems",
	"minProperties",
	"maxProperties",
	"minContains",
	"maxContains",
];
const NUMBERS = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"];
/** A group that is quantified and holds a quantifier: `(a+)+`, `(\\w*)*`, `(a|b+){2,}`. */
const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)[+*{]/;

function walk(node: unknown, root: Node, path: string, depth: number, problems: string[]): void {
	if (typeof node === "boolean") return;
	if (!isObject(node)) {
		problems.push(`${path || "/"}: a schema must be an object or a boolean`);
		return;
	}
	if (depth > MAX_SCHEMA_DEPTH) {
		problems.push(`is nested deeper than ${MAX_SCHEMA_DEPTH} levels at ${path}`);
		return;
	}
	const at = (key: string) => `${path}/${key}`;
	for (const [key, value] of Object.entries(node)) {
		if (key === "$ref") {
			if (typeof value !== "string" || !value.startsWith("#")) {
				problems.push(`${at(key)}: only references inside the schema ("#/…") are allowed`);
			} else if (resolvePointer(root, value) === undefined) {
				problems.push(`${at(key)}: ${value} points at nothing in the schema`);
			}
		} else if (key === "$id" || key === "$dynamicRef" || key === "$dynamicAnchor") {
			problems.push(`${at(key)}: ${key} is not supported`);
		} else if (key === "type") {
			const names = Array.isArray(value) ? value : [value];
			if (!names.every((name) => typeof name === "string" && TYPES.has(name))) {
				problems.push(`${at(key)}: not a JSON Schema type`);
			}
		} else if (COUNTS.includes(key) && !(Number.isInteger(value) && (value as number) >= 0)) {
			problems.push(`${at(key)}: must be a non-negative integer`);
		} else if (NUMBERS.includes(key) && typeof value !== "number") {
			problems.push(`${at(key)}: must be a number`);
		} else if (
			key === "required" &&
			!(Array.isArray(value) && value.every((v) => typeof v === "string"))
		) {
			problems.push(`${at(key)}: must be a list of property names`);
		} else if (key === "enum" && !Array.isArray(value)) {
			problems.push(`${at(key)}: must be a list`);
		} else if (key === "pattern") {
			checkPattern(value, at(key), problems);
		} else if (ONE_SCHEMA.includes(key)) {
			walk(value, root, at(key), depth + 1, problems);
		} else if (SCHEMA_MAPS.includes(key)) {
			if (!isObject(value)) problems.push(`${at(key)}: must be an object of schemas`);
			else {
				for (const [name, child] of Object.entries(value)) {
					if (key === "patternProperties") checkPattern(name, `${at(key)}/${name}`, problems);
					walk(child, root, `${at(key)}/${name}`, depth + 1, problems);
				}
			}
		} else if (SCHEMA_LISTS.includes(key)) {
			if (!Array.isArray(value)) problems.push(`${at(key)}: must be a list of schemas`);
			else {
				for (const [index, child] of value.entries()) {
					walk(child, root, `${at(key)}/${index}`, depth + 1, problems);
				}
			}
		}
	}
}

function checkPattern(pattern: unknown, path: string, problems: string[]): void {
	if (typeof pattern !== "string") {
		problems.push(`${path}: must be a regular expression`);
		return;
	}
	try {
		new RegExp(pattern, "u");
	} catch {
		problems.push(`${path}: not a valid regular expression`);
		return;
	}
	if (NESTED_QUANTIFIER.test(pattern)) {
		problems.push(`${path}: a quantified group holding a quantifier can take exponential time`);
	}
}

/** The part of `root` a "#/a/b" pointer names, or undefined. */
function resolvePointer(root: Node, ref: string): unknown {
	if (ref === "#") return root;
	if (!ref.startsWith("#/")) return undefined;
	let node: unknown = root;
	for (const raw of ref.slice(2).split("/")) {
		const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
		if (!isObject(node) && !Array.isArray(node)) return undefined;
		if (!Object.hasOwn(node, key)) return undefined;
		node = (node as Record<string, unknown>)[key];
	}
	return node;
}

/** The problems of `value` against `schema`, each as "path: message"; empty when valid. */
export function schemaProblems(schema: JsonSchema, value: unknown): string[] {
	let result: ReturnType<Validator["validate"]>;
	try {
		result = new Validator(schema, "2020-12", false).validate(value);
	} catch (error) {
		return [`the schema could not be applied: ${String(error)}`];
	}
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
		let result: ReturnType<Validator["validate"]>;
		try {
			result = validator.validate(value);
		} catch (error) {
			// A schema stored before its checks grew: a refusal, never a crash.
			ctx.addIssue({
				code: "custom",
				message: `The tool's schema could not be applied: ${String(error)}`,
			});
			return;
		}
		if (result.valid) return;
		for (const error of result.errors.filter((e) => e.keyword !== "properties").slice(0, 10)) {
			const path = error.instanceLocation.replace(/^#\/?/, "").split("/").filter(Boolean);
			ctx.addIssue({ code: "custom", path, message: error.error });
		}
	});
}
