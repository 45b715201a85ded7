import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Every test file runs inside workerd with the real wrangler.toml bindings: local D1, Durable
// Objects and alarms. ENVIRONMENT=test registers the chaos tool used to script failures. The LLM
// planner points at the stub server from test/setup/llm-stub.ts; requests that name no planner
// use the rules, so only the LLM tests reach the stub.
export default defineConfig(async () => {
	const migrations = await readD1Migrations("./migrations");
	return {
		plugins: [
			cloudflareTest(({ inject }) => ({
				wrangler: { configPath: "./wrangler.toml" },
				miniflare: {
					bindings: {
						ENVIRONMENT: "test",
						LOG_LEVEL: "warn",
						TEST_MIGRATIONS: migrations,
						OPENAI_BASE_URL: inject("llmStubUrl"),
						OPENAI_TIMEOUT_MS: "500",
						DEFAULT_PLANNER: "rules",
						// The LLM stub doubles as http.request's local host; the tool stub serves tenants' tools.
						HTTP_ALLOWLIST: [inject("llmStubUrl"), inject("toolStubUrl")]
							.map((url) => new URL(String(url)).host)
							.join(","),
						// Queued attempts time out 1 s past their timeout; failed deliveries come back at once.
						QUEUE_DELIVERY_MS: "1000",
						QUEUE_RETRY_DELAY_S: "0",
						MCP_TIMEOUT_MS: "1000",
						// Breakers stay out of the way, except http.request's, which the fault-isolation tests trip.
						CIRCUIT_BREAKERS: JSON.stringify({
							default: { minimum_calls: 1000 },
							"http.request": {
								failure_rate: 0.5,
								minimum_calls: 3,
								window_ms: 60_000,
								cool_down_ms: 1_000,
								success_threshold: 2,
							},
						}),
						BULKHEADS: JSON.stringify({ tenant: 50, tool: 10 }),
					},
				},
			})),
		],
		// The tests use the fault-injection tools, which only development builds contain.
		define: { __DEV_TOOLS__: "true" },
		test: {
			name: "workers",
			include: ["test/**/*.test.ts"],
			exclude: ["test/browser/**"],
			globalSetup: [
				"./test/setup/node-version.ts",
				"./test/setup/llm-stub.ts",
				"./test/setup/tool-stub.ts",
			],
			setupFiles: ["./test/setup/apply-migrations.ts"],
		},
	};
});
