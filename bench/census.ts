/**
 * The bench's census routes, server side: the status of many runs (or Workflow instances) in one
 * request, read through the production app's own `GET /runs/:id`, so the census sees what any
 * client would and costs one round trip through wrangler's proxy per batch, not one per run.
 */

/** What the census needs of one run; `status` is "missing" when the server does not know the id. */
export interface RunStatus {
	status: string;
	created_at: string | null;
	completed_at: string | null;
	/** When the run's last event happened: the moment from which it counts as stuck. */
	last_event_at: string | null;
	error_code: string | null;
}

export const MAX_CENSUS_IDS = 200;
const TERMINAL = new Set(["completed", "failed", "cancelled"]);
/** Reads at once inside one census request: enough to overlap RPCs, few enough to stay polite. */
const PARALLEL = 25;

interface RunBody {
	status: string;
	created_at: string;
	completed_at: string | null;
	error: { code: string } | null;
}

interface EventPage {
	events: { at: string }[];
	next_after: number | null;
}

type Fetch = (request: Request) => Promise<Response>;

/** The ids of a census request's body, or a 400 naming what is wrong. */
export async function censusIds(request: Request): Promise<string[] | Response> {
	const body = (await request.json().catch(() => null)) as { ids?: unknown } | null;
	const ids = body?.ids;
	if (
		!Array.isArray(ids) ||
		ids.length > MAX_CENSUS_IDS ||
		!ids.every((id) => typeof id === "string")
	) {
		return Response.json(
			{ error: `send {"ids": [...]} with at most ${MAX_CENSUS_IDS} string ids` },
			{ status: 400 },
		);
	}
	return ids;
}

/** Each id's status through `GET /runs/:id` of the production app (and its events while live). */
export async function runStatuses(ids: string[], app: Fetch): Promise<Record<string, RunStatus>> {
	return Object.fromEntries(await inBatches(ids, async (id) => [id, await runStatus(id, app)]));
}

async function runStatus(id: string, app: Fetch): Promise<RunStatus> {
	const response = await app(new Request(`http://bench/runs/${encodeURIComponent(id)}`));
	if (response.status === 404) return missing();
	if (!response.ok) throw new Error(`GET /runs/${id} answered ${response.status}`);
	const run = (await response.json()) as RunBody;
	const last = TERMINAL.has(run.status) ? run.completed_at : await lastEventAt(id, app);
	return {
		status: run.status,
		created_at: run.created_at,
		completed_at: run.completed_at,
		last_event_at: last ?? run.created_at,
		error_code: run.error?.code ?? null,
	};
}

async function lastEventAt(id: string, app: Fetch): Promise<string | null> {
	let after = 0;
	let last: string | null = null;
	for (;;) {
		const url = `http://bench/runs/${encodeURIComponent(id)}/events?after=${after}&limit=1000`;
		const response = await app(new Request(url));
		if (!response.ok) return last;
		const page = (await response.json()) as EventPage;
		last = page.events.at(-1)?.at ?? last;
		if (page.next_after === null) return last;
		after = page.next_after;
	}
}

/** Each Workflow instance's status, in the runs' vocabulary: complete is completed, and so on. */
export async function workflowStatuses(
	ids: string[],
	workflow: Workflow,
): Promise<Record<string, RunStatus>> {
	return Object.fromEntries(
		await inBatches(ids, async (id) => {
			let instance: WorkflowInstance;
			try {
				instance = await workflow.get(id);
			} catch {
				return [id, missing()];
			}
			const { status, output, error } = await instance.status();
			const times = output as { submitted_at?: number; finished_at?: number } | undefined;
			const iso = (ms: number | undefined) =>
				ms === undefined ? null : new Date(ms).toISOString();
			const done = iso(times?.finished_at);
			const named: Record<string, string> = {
				complete: "completed",
				errored: "failed",
				terminated: "cancelled",
			};
			return [
				id,
				{
					status: named[status] ?? status,
					created_at: iso(times?.submitted_at),
					completed_at: done,
					// A Workflow's status carries no time of its last step: only the deadline can call it stuck.
					last_event_at: done,
					error_code: error?.name ?? null,
				},
			];
		}),
	);
}

function missing(): RunStatus {
	return {
		status: "missing",
		created_at: null,
		completed_at: null,
		last_event_at: null,
		error_code: null,
	};
}

async function inBatches<T>(ids: string[], read: (id: string) => Promise<T>): Promise<T[]> {
	const results: T[] = [];
	for (let index = 0; index < ids.length; index += PARALLEL) {
		results.push(...(await Promise.all(ids.slice(index, index + PARALLEL).map(read))));
	}
	return results;
}
