import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** One row per finished run. JSON columns hold text so `json_extract` works in ad-hoc SQL. */
export const runs = sqliteTable(
	"runs",
	{
		runId: text("run_id").primaryKey(),
		tenant: text("tenant").notNull(),
		prompt: text("prompt"),
		goal: text("goal").notNull(),
		status: text("status").notNull(),
		planner: text("planner").notNull(),
		stepCount: integer("step_count").notNull(),
		result: text("result"),
		errorCode: text("error_code"),
		errorMessage: text("error_message"),
		createdAt: text("created_at").notNull(),
		startedAt: text("started_at"),
		completedAt: text("completed_at"),
		durationMs: integer("duration_ms"),
		archivedAt: text("archived_at").notNull(),
	},
	(table) => [
		index("runs_tenant_created_idx").on(table.tenant, table.createdAt),
		index("runs_status_created_idx").on(table.status, table.createdAt),
	],
);

/** One row per step of an archived run, keyed by run and step number. */
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
		index("steps_tool_idx").on(table.tool),
	],
);
