import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// Every test file runs inside workerd with the real wrangler.toml bindings: local D1, Durable
// Objects and alarms. ENVIRONMENT=test registers the chaos tool used to script failures.
export default defineConfig(async () => {
	const migrations = await readD1Migrations("./migrations");
	return {
		plugins: [
			cloudflareTest({
				wrangler: { configPath: "./wrangler.toml" },
				miniflare: {
					bindings: { ENVIRONMENT: "test", LOG_LEVEL: "warn", TEST_MIGRATIONS: migrations },
				},
			}),
		],
		test: {
			setupFiles: ["./test/setup/apply-migrations.ts"],
		},
	};
});
