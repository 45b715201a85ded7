// Secrets are set with `wrangler secret put` in production and `.dev.vars` locally; neither is in
// git, so `wrangler types` cannot see them. Both are optional: each has a meaning when absent.
interface Secrets {
	/** Key for the OpenAI-compatible endpoint; absent means a keyless local model, or none. */
	OPENAI_API_KEY?: string;
	/** The first API key; production refuses to serve without it. */
	BOOTSTRAP_API_KEY?: string;
	/** Signs the short-lived stream tokens browsers follow a run with; production needs it. */
	STREAM_TOKEN_SECRET?: string;
}

interface Env extends Secrets {}

declare namespace Cloudflare {
	interface Env extends Secrets {}
}
