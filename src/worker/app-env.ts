import type { Logger } from "../engine/log";
import type { Settings } from "../settings";

/** Hono's type parameters for this app: the Worker's bindings and per-request variables. */
export interface AppEnv {
	Bindings: Env;
	Variables: {
		requestId: string;
		/** Parsed once per isolate and env (src/settings.ts). */
		settings: Settings;
		logger: Logger;
		/** Who is asking: from the API key, or the one local tenant when auth is off. */
		tenant: string;
	};
}
