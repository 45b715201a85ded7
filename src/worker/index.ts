import { createApp } from "./app";

export { RunObject } from "../durable/run-object";
export { TodoStore } from "../durable/todo-store";

const app = createApp();

export default {
	fetch: app.fetch,
} satisfies ExportedHandler<Env>;
