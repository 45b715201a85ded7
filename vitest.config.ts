import { defineConfig } from "vitest/config";

// Two projects: "workers", every test inside workerd against the real local bindings; and
// "browser", the viewer and the OpenAPI document driven from Node against a real `wrangler dev`,
// in Debian's Chromium. `npm test` runs both; `npm test -- --project workers` runs one.
export default defineConfig({
	test: { projects: ["./vitest.workers.config.ts", "./vitest.browser.config.ts"] },
});
