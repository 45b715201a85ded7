import { drizzle } from "drizzle-orm/d1";
import { z } from "zod";
import { listRuns } from "../../db/list-runs";
import { decodeCursor } from "../../engine/history/cursor";
import { RUN_STATUSES } from "../../engine/run/state";
import { factory } from "../factory";
import { IsoInstant, validate } from "../validate";

const Statuses = z
	.union([z.string(), z.array(z.string())])
	.transform((value) => (Array.isArray(value) ? value : [value]).flatMap((item) => item.split(",")))
	.pipe(z.array(z.enum(RUN_STATUSES)).min(1).max(RUN_STATUSES.length));

const ListQuery = z
	.object({
		status: Statuses.optional(),
		tool: z
			.string()
			.regex(/^[a-z][a-z0-9._-]{0,63}$/, "Not a tool name")
			.optional(),
		created_after: IsoInstant.optional(),
		created_before: IsoInstant.optional(),
		q: z.string().min(1).max(200).optional(),
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

/** GET /runs: newest first, filtered, one keyset page at a time. */
export const listRunsHandler = factory.createHandlers(validate("query", ListQuery), async (c) => {
	const query = c.req.valid("query");
	const page = await listRuns(drizzle(c.env.DB), {
		tenant: c.var.tenant,
		statuses: query.status,
		tool: query.tool,
		createdAfter: query.created_after,
		createdBefore: query.created_before,
		q: query.q,
		limit: query.limit,
		cursor: query.cursor,
	});
	return c.json(page);
});
