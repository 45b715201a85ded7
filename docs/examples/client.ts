// Create a run, follow it live, read the result: the typed client from src/client.
// Type-checked in CI (npm run typecheck). With a server up (npm start), run it with
//   npx tsx docs/examples/client.ts
// and API_URL / API_KEY in the environment for another address, or for a server with AUTH=on.
import { createClient, followRun } from "../../src/client";

const { env } = (globalThis as { process?: { env: Record<string, string | undefined> } })
	.process ?? {
	env: {},
};
const api = createClient(env.API_URL ?? "http://localhost:8787", {
	...(env.API_KEY ? { apiKey: env.API_KEY } : {}),
});

export async function main(): Promise<void> {
	const created = await api.runs.$post({
		json: { prompt: "Add a todo to buy milk, then show me all my tasks" },
	});
	if (created.status !== 201) throw new Error(`not created: ${created.status}`);
	const run = await created.json();
	console.log(`run ${run.run_id}: ${run.plan.steps.length} steps`);

	const stream = await api.runs[":id"].stream.$get({ param: { id: run.run_id }, query: {} });
	for await (const message of followRun(stream)) {
		if (message.type === "event") console.log(`#${message.seq} ${message.event.type}`);
	}

	const finished = await api.runs[":id"].$get({ param: { id: run.run_id }, query: {} });
	const view = await finished.json();
	console.log(view.status, JSON.stringify(view.result));
}

await main();
