import { drizzle } from "drizzle-orm/d1";
import { Hono } from "hono";
import { z } from "zod";
import { runStats } from "../../db/stats";
import type { AppEnv } from "../app-env";
import { doc } from "../openapi/describe";
import { StatsSchema } from "../openapi/schemas";
import { IsoInstant, validate } from "../validate";

/** GET /stats?since=&until=: analytics over the runs created in [since, until), from D1. */
export const stats = new Hono<AppEnv>().get(
	"/",
	doc({
		summary: "Analytics over the runs created in [since, until)",
		tags: ["Operations"],
		ok: { status: 200, description: "The window's figures", schema: StatsSchema },
		errors: ["invalid_request"],
	}),
	validate(
		"query",
		z
			.object({ since: IsoInstant.optional(), until: IsoInstant.optional() })
			.strict()
			.refine(({ since, until }) => !since || !until || since < until, {
				message: "since must be before until",
				path: ["until"],
			}),
	),
	async (c) => {
		const { since, until } = c.req.valid("query");
		return c.json(await runStats(drizzle(c.env.DB), { tenant: c.var.tenant, since, until }));
	},
);
