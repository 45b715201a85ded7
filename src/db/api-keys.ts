import { and, eq, isNull } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { apiKeys } from "./schema";

/** The tenant of a live (unrevoked) key, by the key's SHA-256 in hex. */
export async function tenantForKeyHash(
	db: DrizzleD1Database,
	keyHash: string,
): Promise<string | undefined> {
	const [row] = await db
		.select({ tenant: apiKeys.tenant })
		.from(apiKeys)
		.where(and(eq(apiKeys.keyHash, keyHash), isNull(apiKeys.revokedAt)))
		.limit(1);
	return row?.tenant;
}
