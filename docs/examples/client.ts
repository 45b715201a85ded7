// Create a run, follow it live, read the result: the typed client from src/client.
// Type-checked in CI (npm run typecheck), and run by test/client.test.ts against the Worker.
// To run it against a server (npm start): npx tsx docs/examples/run-client.ts
import { type Client, followRun } from "../../src/client";

export async function createFollowRead(api: Client, prompt: string, log = console.log) {
	const created = await api.runs.$post({ json: { prompt } });
	if (created.status !== 201) throw new Error(`not created: ${created.status}`);
	const run = await created.json();
	log(`run ${run.run_id}: ${run.plan.steps.length} steps`);

	const stream = await api.runs[":id"].stream.$get({ param: { id: run.run_id }, query: {} });
	for await (const message of followRun(stream)) {
		if (message.type === "event") log(`#${message.seq} ${message.event.type}`);
	}

	const finished = await api.runs[":id"].$get({ param: { id: run.run_id }, query: {} });
	const view = await finished.json();
	log(view.status, JSON.stringify(view.result));
	return view;
}
