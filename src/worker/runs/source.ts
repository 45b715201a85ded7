import { drizzle } from "drizzle-orm/d1";
import type { Context } from "hono";
import { isArchived, loadArchivedEvents } from "../../db/run-history";
import { type RunApi, runClient } from "../../durable/run-api";
import { AppError } from "../../engine/errors";
import { foldEvents } from "../../engine/run/reducer";
import type { RunState } from "../../engine/run/state";
import type { AppEnv } from "../app-env";
import { parseRunId } from "../run-id";

export const runNotFound = () => new AppError("run_not_found", "No run has this id");

/**
 * The object of the run a route's `:id` names. Every run route reaches its run through here, so
 * an id this namespace never issued is a 404 in one place, before any object is touched.
 */
export function runAt(c: Context<AppEnv>, runId: string): RunApi {
	return runClient(c.env, parseRunId(c.env.RUNS, runId));
}

/**
 * A run's events after `afterSeq`: from its object while it keeps them, else from the D1 archive.
 * Throws run_not_found when neither knows the run.
 */
export async function eventsOf(c: Context<AppEnv>, runId: string, afterSeq = 0, limit = 100_000) {
	const live = await runAt(c, runId).events(c.var.tenant, afterSeq, limit);
	if (live) return live;
	const db = drizzle(c.env.DB);
	const archived = await loadArchivedEvents(db, c.var.tenant, runId, afterSeq, limit);
	if (archived.length > 0 || (await isArchived(db, c.var.tenant, runId))) return archived;
	throw runNotFound();
}

/** The run's current full state, live or archived. */
export async function stateOf(c: Context<AppEnv>, runId: string): Promise<RunState> {
	const state = foldEvents(await eventsOf(c, runId));
	if (!state) throw runNotFound();
	return state;
}
