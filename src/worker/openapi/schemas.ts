import { z } from "zod";
import { RUN_STATUSES } from "../../engine/run/state";

// What the API answers, as zod schemas for the OpenAPI document only: the answers are built by
// the engine's views (state.ts, trace-tree.ts, stats), and these describe them for clients.
// Objects stay open (looseObject), so a field added to a view is not a breaking change here.

const Instant = z.iso.datetime({ offset: true });

export const ErrorSchema = z
	.object({
		error: z.object({
			code: z.string().meta({ description: "A stable code; see the status's description" }),
			message: z.string(),
			details: z.unknown().optional(),
		}),
	})
	.meta({
		id: "Error",
		description: "The one error shape of every 4xx and 5xx",
		examples: [{ error: { code: "run_not_found", message: "No run has this id" } }],
	});

const StepError = z.object({ code: z.string(), message: z.string() }).loose();

export const RunSchema = z
	.looseObject({
		run_id: z.string(),
		prompt: z.string().nullable(),
		status: z.enum(RUN_STATUSES),
		plan: z.looseObject({
			goal: z.string(),
			planner: z.string().optional(),
			steps: z.array(
				z.looseObject({
					step_number: z.number().int(),
					tool: z.string(),
					input: z.record(z.string(), z.unknown()),
					depends_on: z.array(z.number().int()),
					reasoning: z.string().optional(),
					requires_approval: z.boolean(),
				}),
			),
		}),
		trace_id: z.string().nullable(),
		mode: z.enum(["plan", "agent"]),
		rounds: z
			.number()
			.int()
			.meta({ description: "Planning rounds that made or extended the plan" }),
		max_rounds: z.number().int(),
		agent: z.object({ outcome: z.enum(["goal_met", "max_rounds"]), reason: z.string() }).nullable(),
		budget: z.looseObject({
			limits: z.record(z.string(), z.number()),
			used: z.object({
				steps: z.number().int(),
				wall_ms: z.number().int().nullable(),
				llm_tokens: z.number().int(),
				cost_usd: z.number(),
			}),
			deadline_at: Instant.nullable(),
			exceeded: z
				.object({ budget: z.string(), used: z.number(), limit: z.number(), at: Instant })
				.nullable(),
		}),
		execution_log: z.array(
			z.looseObject({
				step_number: z.number().int(),
				tool: z.string(),
				status: z.string(),
				input: z.unknown(),
				output: z.unknown(),
				error: StepError.nullable(),
				attempts: z.number().int(),
			}),
		),
		result: z.unknown(),
		error: StepError.nullable(),
		created_at: Instant,
		started_at: Instant.nullable(),
		completed_at: Instant.nullable(),
	})
	.meta({ id: "Run", description: "A run now, or as it was after an event (`?at=`)" });

export const RunCreatedSchema = z
	.looseObject({
		run_id: z.string(),
		status: z.enum(RUN_STATUSES),
		prompt: z.string().nullable(),
		plan: RunSchema.shape.plan,
		created_at: Instant,
		forked_from: z
			.object({ run_id: z.string(), from_step: z.number().int().nullable() })
			.optional()
			.meta({ description: "Forks only" }),
	})
	.meta({ id: "RunCreated", description: "A new run: read it with GET /runs/{run_id}" });

export const RunPageSchema = z
	.object({
		runs: z.array(
			z.looseObject({
				run_id: z.string(),
				prompt: z.string().nullable(),
				status: z.enum(RUN_STATUSES),
				created_at: Instant,
				completed_at: Instant.nullable(),
				step_count: z.number().int(),
			}),
		),
		next_cursor: z.string().nullable(),
	})
	.meta({ id: "RunPage" });

const EventSchema = z
	.object({
		seq: z.number().int(),
		type: z.string(),
		at: Instant,
		data: z.record(z.string(), z.unknown()),
	})
	.meta({ id: "Event" });

export const EventPageSchema = z
	.object({ events: z.array(EventSchema), next_after: z.number().int().nullable() })
	.meta({ id: "EventPage" });

export const StreamTokenSchema = z
	.object({
		token: z.string().meta({ description: "Send as ?token= to /runs/{id}/ws or /stream" }),
		expires_at: Instant,
	})
	.meta({ id: "StreamToken" });

export const TraceSchema = z
	.looseObject({ trace_id: z.string().nullable(), spans: z.array(z.looseObject({})) })
	.meta({ id: "Trace", description: "The run's spans as a tree, built from its event log" });

export const ToolsSchema = z
	.object({
		tools: z.array(
			z.looseObject({
				name: z.string(),
				description: z.string(),
				mutates: z.boolean(),
				requires_approval: z.boolean(),
				input_schema: z.record(z.string(), z.unknown()),
			}),
		),
	})
	.meta({ id: "Tools" });

export const DryRunSchema = z
	.looseObject({ tool: z.string(), valid: z.boolean(), executed: z.boolean() })
	.meta({ id: "DryRun" });

export const HealthSchema = z
	.object({ status: z.literal("ok"), version: z.string() })
	.meta({ id: "Health" });

export const ChecksSchema = z
	.looseObject({ status: z.enum(["ok", "degraded"]), checks: z.looseObject({}) })
	.meta({ id: "Checks" });

export const StatsSchema = z
	.looseObject({
		spend: z.object({
			llm_tokens: z.number().int(),
			cost_usd: z.number(),
			agent_runs: z.number().int(),
			agent_rounds: z.number().int(),
			budget_exceeded: z.number().int(),
		}),
	})
	.meta({
		id: "Stats",
		description: "Counts, durations and rates over the runs created in the window",
	});

export const EventStreamSchema = z.string().meta({
	id: "EventStream",
	description: "Server-Sent Events: `snapshot` first (unless resuming), then `event` messages",
});

export const MetricsSchema = z.string().meta({
	id: "Metrics",
	description: "Prometheus text exposition format 0.0.4",
});

export const TenantToolSchema = z
	.looseObject({
		name: z.string(),
		kind: z.enum(["http", "mcp"]).optional(),
		version: z.number().int().optional(),
		owner: z.enum(["runtime", "tenant"]).optional(),
	})
	.meta({ id: "Tool", description: "A tool; answers of POST and of /secret also carry `secret`" });

export const ToolCreatedSchema = z
	.object({
		tool: TenantToolSchema,
		secret: z.string().meta({ description: "The signing secret: shown this once" }),
	})
	.meta({ id: "ToolCreated" });
export const ToolVersionSchema = z.object({ tool: TenantToolSchema }).meta({ id: "ToolVersion" });
export const SecretSchema = z
	.object({ name: z.string(), secret: z.string() })
	.meta({ id: "ToolSecret" });
export const DeletedSchema = z
	.object({ name: z.string(), deleted: z.literal(true) })
	.meta({ id: "Deleted" });

export const McpServerSchema = z
	.looseObject({
		name: z.string(),
		url: z.string(),
		header_names: z.array(z.string()),
		created_at: Instant,
		refreshed_at: Instant.nullable(),
		tools: z.array(z.string()),
	})
	.meta({ id: "McpServer" });
export const McpServersSchema = z
	.object({ servers: z.array(McpServerSchema) })
	.meta({ id: "McpServers" });
export const McpSyncSchema = z
	.looseObject({
		server: z.object({ name: z.string(), url: z.string() }),
		tools: z.array(TenantToolSchema),
		skipped: z.array(z.object({ tool: z.string(), reason: z.string() })),
		deleted: z.array(z.string()).optional(),
	})
	.meta({ id: "McpSync", description: "A server's tools after listing them" });
