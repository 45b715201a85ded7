import { eq } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import type { Logger } from "../engine/log";
import { type PlanDraft, PlanDraftSchema } from "../engine/plan/model";
import type { PlanCachePort } from "../engine/planner/planning";
import { planCache } from "./schema";

/** The LLM plan cache in D1. A cache that fails is a miss, never a failed request. */
export function d1PlanCache(db: DrizzleD1Database, logger: Logger): PlanCachePort {
	return {
		async get(key) {
			try {
				const [row] = await db
					.select({ plan: planCache.plan })
					.from(planCache)
					.where(eq(planCache.key, key))
					.limit(1);
				if (!row) return undefined;
				const parsed = PlanDraftSchema.safeParse(JSON.parse(row.plan));
				return parsed.success ? parsed.data : undefined;
			} catch (error) {
				logger.warn("plan cache read failed", { error: String(error) });
				return undefined;
			}
		},
		async put(key, draft: PlanDraft) {
			try {
				const row = { key, plan: JSON.stringify(draft), createdAt: new Date().toISOString() };
				await db
					.insert(planCache)
					.values(row)
					.onConflictDoUpdate({ target: planCache.key, set: row });
			} catch (error) {
				logger.warn("plan cache write failed", { error: String(error) });
			}
		},
	};
}
