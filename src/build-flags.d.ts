/** Replaced at build time (wrangler.toml [define], vitest.config.ts define): dev tools built in. */
declare const __DEV_TOOLS__: boolean;
