import { zValidator } from "@hono/zod-validator";
import type { ValidationTargets } from "hono";
import { resolver, uniqueSymbol } from "hono-openapi";
import { z } from "zod";
import { AppError } from "../engine/errors";

/**
 * The one validator: zod at the edge, failures thrown into onError as `invalid_request` with
 * each issue's path and message. Keys that could reach a prototype are refused before the
 * schema sees the value. The schema itself (not the guarded copy, whose input is anything) is
 * attached the way hono-openapi's own validator does it, so the OpenAPI document describes
 * exactly what this middleware checks.
 */
export function validate<T extends z.ZodType, Target extends keyof ValidationTargets>(
	target: Target,
	schema: T,
) {
	// Typed as the schema's own input, so a route's (and a typed client's) types are the schema's.
	const guarded = z.preprocess((value: z.input<T>, ctx) => {
		const found = forbiddenKey(value);
		if (found) ctx.addIssue({ code: "custom", path: found.path, message: found.message });
		return value;
	}, schema);
	const middleware = zValidator(target, guarded, (result) => {
		if (result.success) return;
		const issues = result.error.issues.map((issue) => ({
			path: issue.path.map(String).join(".") || target,
			// Name the fields: zod's own wording says only that some key was not recognised.
			message:
				issue.code === "unrecognized_keys"
					? `Unknown field${issue.keys.length > 1 ? "s" : ""}: ${issue.keys.join(", ")}`
					: issue.message,
		}));
		const first = issues[0];
		throw new AppError(
			"invalid_request",
			first ? `Invalid ${target}: ${first.path}: ${first.message}` : `Invalid ${target}`,
			{ issues },
		);
	});
	return Object.assign(middleware, { [uniqueSymbol]: { target, ...resolver(schema) } });
}

/** An ISO 8601 date or date-time, normalised to the form the archive stores. */
export const IsoInstant = z
	.union([z.iso.datetime({ offset: true }), z.iso.date()], {
		error: "Expected an ISO 8601 date (2026-11-27) or date-time (2026-11-27T10:00:00Z)",
	})
	.transform((value) => new Date(value).toISOString());

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);
export const MAX_JSON_DEPTH = 32;

type Path = (string | number)[];

/**
 * Refuses keys that could reach an object's prototype, anywhere in a body, and nesting deeper
 * than MAX_JSON_DEPTH. Iterative, so hostile depth cannot exhaust the stack.
 */
function forbiddenKey(root: unknown): { key: string; path: Path; message: string } | undefined {
	const stack: Array<{ value: unknown; path: Path }> = [{ value: root, path: [] }];
	for (let next = stack.pop(); next; next = stack.pop()) {
		const { value, path } = next;
		if (value === null || typeof value !== "object") continue;
		if (path.length > MAX_JSON_DEPTH) {
			return { key: "", path, message: `The body is nested deeper than ${MAX_JSON_DEPTH} levels` };
		}
		for (const [key, item] of Object.entries(value)) {
			const here = [...path, Array.isArray(value) ? Number(key) : key];
			if (FORBIDDEN_KEYS.has(key))
				return { key, path: here, message: `The key "${key}" is not allowed` };
			stack.push({ value: item, path: here });
		}
	}
	return undefined;
}
