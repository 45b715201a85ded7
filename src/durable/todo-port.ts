import type { TodoPort } from "../engine/tools/todo/port";
import type { TodoStore } from "./todo-store";

/** The todo tools' storage port, served by the tenant's TodoStore object over RPC. */
export function todoPortFor(
	namespace: DurableObjectNamespace<TodoStore>,
	tenant: string,
): TodoPort {
	const store = namespace.get(namespace.idFromName(tenant));
	return {
		add: (title, key) => store.add(title, key),
		list: (status, limit) => store.list(status, limit),
		get: (ref) => store.get(ref),
		complete: (ref, key) => store.complete(ref, key),
		delete: (ref, key) => store.delete(ref, key),
		restore: (todo, key) => store.restore(todo, key),
	};
}
