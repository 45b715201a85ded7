import { index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * One row per run, written when the run starts and rewritten when it finishes. JSON columns hold
 * text so `json_extract` works in ad-hoc SQL.
 */
export const runs = sqliteTable(
	"runs",
	{
		runId: text("run_id").primaryKey(),
		tenant: text("tenant").notNull(),
		prompt: text("prompt"),
		goal: text("goal").notNull(),
		status: text("status").notNull(),
		planner: text("planner").notNull(),
		/** Why the model's plan was not used, for runs planned "llm→rules". */
		fallbackReason: text("fallback_reason"),
		llmModel: text("llm_model"),
		llmLatencyMs: integer("llm_latency_ms"),
		llmPromptTokens: integer("llm_prompt_tokens"),
		llmCompletionTokens: integer("llm_completion_tokens"),
		llmRepairs: integer("llm_repairs"),
		planCached: integer("plan_cached", { mode: "boolean" }),
		stepCount: integer("step_count").notNull(),
		result: text("result"),
		errorCode: text("error_code"),
		errorMessage: text("error_message"),
		createdAt: text("created_at").notNull(),
		startedAt: text("started_at"),
		completedAt: text("completed_at"),
		durationMs: integer("duration_ms"),
		/** Null while the run is live; set once its final state and events are written. */
		archivedAt: text("archived_at"),
		/**
		 * The last event of the copy written here. The archive queue delivers at least once and
		 * in no set order: a copy older than this one is ignored, and the run's object purges its
		 * log only once D1 holds its last event.
		 */
		seq: integer("seq"),
		/** The W3C trace the run was created in, to find a run by its trace. */
		traceId: text("trace_id"),
		/** "plan" or "agent"; an agent run's planning rounds; its model spend (budgets). */
		mode: text("mode").notNull().default("plan"),
		rounds: integer("rounds").notNull().default(1),
		llmTokens: integer("llm_tokens").notNull().default(0),
		costUsd: real("cost_usd").notNull().default(0),
	},
	(table) => [
		index("runs_tenant_created_idx").on(table.tenant, table.createdAt),
		index("runs_tenant_trace_idx").on(table.tenant, table.traceId),
		index("runs_tenant_status_created_idx").on(table.tenant, table.status, table.createdAt),
	],
);

/** One row per step of a run, keyed by run and step number. */
export const steps = sqliteTable(
	"steps",
	{
		runId: text("run_id")
			.notNull()
			.references(() => runs.runId, { onDelete: "cascade" }),
		stepNumber: integer("step_number").notNull(),
		tool: text("tool").notNull(),
		status: text("status").notNull(),
		input: text("input").notNull(),
		output: text("output"),
		errorCode: text("error_code"),
		errorMessage: text("error_message"),
		attempts: integer("attempts").notNull(),
		startedAt: text("started_at"),
		completedAt: text("completed_at"),
		durationMs: integer("duration_ms"),
	},
	(table) => [
		primaryKey({ columns: [table.runId, table.stepNumber] }),
		index("steps_tool_run_idx").on(table.tool, table.runId),
	],
);

/** The run's event log, copied when the run finishes, so history outlives the Durable Object. */
export const runEvents = sqliteTable(
	"run_events",
	{
		runId: text("run_id")
			.notNull()
			.references(() => runs.runId, { onDelete: "cascade" }),
		seq: integer("seq").notNull(),
		type: text("type").notNull(),
		at: text("at").notNull(),
		/** The whole event payload, `type` included, exactly as the object logged it. */
		data: text("data").notNull(),
	},
	(table) => [
		primaryKey({ columns: [table.runId, table.seq] }),
		index("run_events_type_idx").on(table.type),
	],
);

/** Plans the model made, by a hash of the normalised prompt, the tool catalogue and the model. */
export const planCache = sqliteTable("plan_cache", {
	key: text("key").primaryKey(),
	plan: text("plan").notNull(),
	createdAt: text("created_at").notNull(),
});

/** API keys: only the SHA-256 of each key is stored, with its tenant. */
export const apiKeys = sqliteTable(
	"api_keys",
	{
		keyHash: text("key_hash").primaryKey(),
		tenant: text("tenant").notNull(),
		/** The key's first characters, to tell keys apart in listings; never enough to use. */
		keyPrefix: text("key_prefix").notNull(),
		name: text("name"),
		createdAt: text("created_at").notNull(),
		revokedAt: text("revoked_at"),
	},
	(table) => [index("api_keys_tenant_idx").on(table.tenant)],
);

/**
 * What one run adds to the statistics, kept so that a run written again (live, then finished, or
 * retried) replaces its contribution instead of adding a second one. See rollups.ts.
 */
export const statsContributions = sqliteTable(
	"stats_contributions",
	{
		runId: text("run_id").primaryKey(),
		tenant: text("tenant").notNull(),
		createdAt: text("created_at").notNull(),
		/** The Summary (rollups.ts) of this one run, as JSON. */
		data: text("data").notNull(),
	},
	(table) => [index("stats_contributions_tenant_created_idx").on(table.tenant, table.createdAt)],
);

/** The statistics of a tenant's runs created in one hour (created_at's first 13 characters). */
export const statsHours = sqliteTable(
	"stats_hours",
	{
		tenant: text("tenant").notNull(),
		hour: text("hour").notNull(),
		/** The Summary (rollups.ts) of every run of the hour, as JSON. */
		data: text("data").notNull(),
	},
	(table) => [primaryKey({ columns: [table.tenant, table.hour] })],
);

/** The same as stats_hours, by day (created_at's first 10 characters), so long windows read few rows. */
export const statsDays = sqliteTable(
	"stats_days",
	{
		tenant: text("tenant").notNull(),
		day: text("day").notNull(),
		data: text("data").notNull(),
	},
	(table) => [primaryKey({ columns: [table.tenant, table.day] })],
);

/**
 * Tenants' own tools, one row per version: a run records the definition it planned with, so a
 * new version (PUT) or a delete changes only runs planned afterwards. `secret` signs calls to an
 * HTTP tool; it is per tool (all versions), returned once at creation and on rotation.
 */
export const tenantTools = sqliteTable(
	"tenant_tools",
	{
		tenant: text("tenant").notNull(),
		name: text("name").notNull(),
		version: integer("version").notNull(),
		kind: text("kind", { enum: ["http", "mcp"] }).notNull(),
		/** The definition as runs record it (JSON), without any secret. */
		definition: text("definition").notNull(),
		createdAt: text("created_at").notNull(),
		/** Set on the newest version when the tool is deleted; no version is current after it. */
		deletedAt: text("deleted_at"),
	},
	(table) => [primaryKey({ columns: [table.tenant, table.name, table.version] })],
);

/** The signing secret of each tenant HTTP tool (all its versions); gone when the tool is. */
export const toolSecrets = sqliteTable(
	"tool_secrets",
	{
		tenant: text("tenant").notNull(),
		name: text("name").notNull(),
		/**
		 * The tool's identity, kept across versions and rotations: a tool deleted and registered
		 * again under its name is another tool, whose secret a run of the old one never gets.
		 */
		toolId: text("tool_id").notNull().default(""),
		secret: text("secret").notNull(),
		rotatedAt: text("rotated_at").notNull(),
	},
	(table) => [primaryKey({ columns: [table.tenant, table.name] })],
);

/** Tenants' MCP servers; their tools are rows of tenant_tools named `mcp.<server>.<tool>`. */
export const mcpServers = sqliteTable(
	"mcp_servers",
	{
		tenant: text("tenant").notNull(),
		name: text("name").notNull(),
		url: text("url").notNull(),
		/** This registration's identity: runs of a removed server never reach one registered again. */
		serverId: text("server_id").notNull().default(""),
		/** Headers sent on every call (JSON), e.g. the server's own auth: never shown back. */
		headers: text("headers").notNull(),
		createdAt: text("created_at").notNull(),
		refreshedAt: text("refreshed_at"),
	},
	(table) => [primaryKey({ columns: [table.tenant, table.name] })],
);
