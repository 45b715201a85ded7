import type { Logger } from "../engine/log";
import type { Span } from "../engine/trace";
import type { Settings } from "../settings";

/** Hono's type parameters for this app: the Worker's bindings and per-request variables. */
export interface AppEnv {
	Bindings: Env;
	Variables: {
		requestId: string;
		/** Parsed once per isolate and env (src/settings.ts). */
		settings: Settings;
		logger: Logger;
		/** This request's span of its trace (W3C Trace Context). */
		trace: Span;
		/** Who is asking: from the API key, or the one local tenant when auth is off. */
		tenant: string;
	};
}
