import { createApp } from "./app";

export { CircuitBreaker } from "../durable/circuit-breaker";
export { IdempotencyStore } from "../durable/idempotency-store";
export { RateLimiter } from "../durable/rate-limiter";
export { RunObject } from "../durable/run-object";
export { TodoStore } from "../durable/todo-store";

const app = createApp();

export default {
	fetch: app.fetch,
} satisfies ExportedHandler<Env>;
