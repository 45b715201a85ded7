import { zValidator } from "@hono/zod-validator";
import type { ValidationTargets } from "hono";
import { z } from "zod";
import { AppError } from "../engine/errors";

/**
 * The one validator: zod at the edge, failures thrown into onError as `invalid_request` with
 * each issue's path and message.
 */
export function validate<T extends z.ZodType, Target extends keyof ValidationTargets>(
	target: Target,
	schema: T,
) {
	return zValidator(target, schema, (result) => {
		if (result.success) return;
		const issues = result.error.issues.map((issue) => ({
			path: issue.path.map(String).join(".") || target,
			message: issue.message,
		}));
		const first = issues[0];
		throw new AppError(
			"invalid_request",
			first ? `Invalid ${target}: ${first.path}: ${first.message}` : `Invalid ${target}`,
			{ issues },
		);
	});
}

/** An ISO 8601 date or date-time, normalised to the form the archive stores. */
export const IsoInstant = z
	.union([z.iso.datetime({ offset: true }), z.iso.date()])
	.transform((value) => new Date(value).toISOString());
