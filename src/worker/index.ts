import { createApp } from "./app";
import { consumeArchiveRequests } from "./queue/run-archive";
import { consumeDeadLetters, consumeToolWork } from "./queue/tool-work";

export { Bulkhead } from "../durable/bulkhead";
export { CircuitBreaker } from "../durable/circuit-breaker";
export { RateLimiter } from "../durable/rate-limiter";
export { RunObject } from "../durable/run-object";
export { TodoStore } from "../durable/todo-store";

/** Must match the queues' names in wrangler.toml. */
const DEAD_LETTER_QUEUE = "tool-work-dead-letters";
const ARCHIVE_QUEUE = "run-archive";

const app = createApp();

export default {
	fetch: app.fetch,
	async queue(batch, env) {
		if (batch.queue === ARCHIVE_QUEUE) await consumeArchiveRequests(batch, env);
		else if (batch.queue === DEAD_LETTER_QUEUE) await consumeDeadLetters(batch, env);
		else await consumeToolWork(batch, env);
	},
} satisfies ExportedHandler<Env>;
