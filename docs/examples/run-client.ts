// Runs docs/examples/client.ts against a server: API_URL (default http://localhost:8787) and
// API_KEY (when the server has AUTH=on) from the environment.
//   npx tsx docs/examples/run-client.ts
import { createClient } from "../../src/client";
import { createFollowRead } from "./client";

const { env } = (globalThis as { process?: { env: Record<string, string | undefined> } })
	.process ?? {
	env: {},
};
const api = createClient(env.API_URL ?? "http://localhost:8787", {
	...(env.API_KEY ? { apiKey: env.API_KEY } : {}),
});
await createFollowRead(api, "Add a todo to buy milk, then show me all my tasks");
