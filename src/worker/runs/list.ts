import { drizzle } from "drizzle-orm/d1";
import type { Context } from "hono";
import { z } from "zod";
import { decodeCursor } from "../../db/cursor";
import { listRuns } from "../../db/list-runs";
import { RUN_STATUSES } from "../../engine/run/state";
import type { AppEnv } from "../app-env";
import { IsoInstant } from "../validate";

const Statuses = z
	.union([z.string(), z.array(z.string())])
	.transform((value) => (Array.isArray(value) ? value : [value]).flatMap((item) => item.split(",")))
	.pipe(z.array(z.enum(RUN_STATUSES)).min(1).max(RUN_STATUSES.length));

export const ListQuery = z
	.object({
		status: Statuses.optional(),
		tool: z
			.string()
			.regex(/^[a-z][a-z0-9._-]{0,63}$/, "Not a tool name")
			.optional(),
		created_after: IsoInstant.optional(),
		created_before: IsoInstant.optional(),
		q: z.string().min(1).max(200).optional(),
		trace_id: z
			.string()
			.regex(/^[0-9a-f]{32}$/, "A trace id is 32 lowercase hex digits")
			.optional(),
		limit: z.coerce.number().int().min(1).max(100).default(20),
		cursor: z
			.string()
			.transform((raw, ctx) => {
				const cursor = decodeCursor(raw);
				if (!cursor) ctx.addIssue({ code: "custom", message: "Not a cursor this API issued" });
				return cursor;
			})
			.optional(),
	})
	.strict();

/** The caller's runs, newest first, filtered, one keyset page at a time. */
export function listRunPage(c: Context<AppEnv>, query: z.infer<typeof ListQuery>) {
	return listRuns(drizzle(c.env.DB), {
		tenant: c.var.tenant,
		statuses: query.status,
		tool: query.tool,
		createdAfter: query.created_after,
		createdBefore: query.created_before,
		q: query.q,
		traceId: query.trace_id,
		limit: query.limit,
		cursor: query.cursor,
	});
}
