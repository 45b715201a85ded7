import { defineConfig } from "vitest/config";

// The browser project: Node tests against one `wrangler dev` (auth on, its own state), started
// by test/browser/setup/server.ts, with Debian's Chromium driven by playwright-core.
export default defineConfig({
	test: {
		name: "browser",
		include: ["test/browser/**/*.test.ts"],
		environment: "node",
		globalSetup: ["./test/setup/node-version.ts", "./test/browser/setup/server.ts"],
		fileParallelism: false,
		testTimeout: 60_000,
		hookTimeout: 60_000,
	},
});
