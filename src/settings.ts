/**
 * Every setting of the runtime, parsed once from the Worker's environment by one zod schema whose
 * defaults are the single source (wrangler.toml repeats them for production, and
 * docs/configuration.md is generated from this file by `npm run docs:config`). An invalid value
 * is an error naming the variable, never a silent fallback. Nothing below the entry points reads
 * `env` for a setting: they take a `Settings`.
 *
 * This file imports nothing but zod, so scripts can load it with Node's type stripping.
 */
import { z } from "zod";
// With its extension: scripts/settings-table.mjs loads this file in Node, which needs it.
import { type Budget, BudgetSchema } from "./engine/plan/budget.ts";

/**
 * A number from a [vars] string, at least `min` (whole unless `fractional`). An empty string
 * means unset, so the default applies: coerced, it would silently be 0.
 */
function numberVar(fallback: number, { min = 0, fractional = false } = {}) {
	const parsed = fractional ? z.coerce.number().min(min) : z.coerce.number().int().min(min);
	return z.preprocess((value) => (value === "" ? undefined : value), parsed.default(fallback));
}

/** A JSON variable: wrangler passes [vars] strings through, tests may pass objects. */
function json<T extends z.ZodType>(schema: T) {
	return z.preprocess((value, ctx) => {
		if (typeof value !== "string") return value;
		try {
			return JSON.parse(value || "{}");
		} catch {
			ctx.addIssue({ code: "custom", message: "is not valid JSON" });
			return z.NEVER;
		}
	}, schema);
}

/** Public list prices, for costs out of the box; set LLM_PRICES for your models and rates. */
const DEFAULT_PRICES = {
	"gpt-4o-mini": { prompt_per_million: 0.15, completion_per_million: 0.6 },
	"gpt-4o": { prompt_per_million: 2.5, completion_per_million: 10 },
};

/** A comma-separated list, trimmed, empty items dropped. */
const List = z
	.string()
	.default("")
	.transform((value) =>
		value
			.split(",")
			.map((item) => item.trim())
			.filter(Boolean),
	);

export const BreakerConfigSchema = z
	.object({
		/** Share of the window's calls that must fail to open, in (0, 1]. */
		failure_rate: z.number().gt(0).max(1),
		/** Calls the window must hold before its rate means anything. */
		minimum_calls: z.number().int().min(1),
		window_ms: z.number().int().min(1),
		cool_down_ms: z.number().int().min(1),
		/** Successful half-open trials that close it. */
		success_threshold: z.number().int().min(1),
	})
	.strict();

const TenantLimitsSchema = z
	.object({
		capacity: z.number().gt(0),
		refill_per_s: z.number().min(0),
		/** Runs a tenant may have live (created, not yet finished) at once. */
		live_runs: z.number().int().min(1),
	})
	.strict();

export const DEFAULTS = {
	breaker: {
		failure_rate: 0.5,
		minimum_calls: 20,
		window_ms: 60_000,
		cool_down_ms: 30_000,
		success_threshold: 2,
	},
	tenant: { capacity: 60, refill_per_s: 1, live_runs: 100 },
	bulkheads: { tenant: 50, tool: 20 },
} as const;

/** The schema over the environment; each field's `describe` is its line in the docs. */
export const SettingsSchema = z.object({
	ENVIRONMENT: z
		.string()
		.min(1)
		.default("production")
		.describe('"production": keys required, no chaos tools'),
	LOG_LEVEL: z
		.enum(["debug", "info", "warn", "error"])
		.default("info")
		.describe("debug, info, warn or error"),
	RUN_RETENTION_DAYS: numberVar(7, { fractional: true }).describe(
		"days a finished run's object keeps its storage",
	),
	OPENAI_BASE_URL: z
		.union([z.literal(""), z.url()])
		.default("")
		.describe("any OpenAI-compatible endpoint; empty: rules only"),
	OPENAI_MODEL: z.string().min(1).default("gpt-4o-mini").describe("the model the LLM planner asks"),
	OPENAI_TIMEOUT_MS: numberVar(10_000, { min: 1 }).describe("timeout per model call"),
	DEFAULT_PLANNER: z
		.enum(["auto", "llm", "rules"])
		.default("auto")
		.describe("auto, llm or rules, for runs that name none"),
	AUTH: z.enum(["on", "off"]).default("off").describe("on: keys required outside production too"),
	BOOTSTRAP_TENANT: z
		.string()
		.regex(/^[A-Za-z0-9_-]{1,64}$/)
		.default("default")
		.describe("the bootstrap key's tenant"),
	CORS_ORIGINS: List.describe("browser origins allowed by CORS, comma-separated"),
	RATE_LIMITS: json(z.record(z.string(), TenantLimitsSchema.partial()))
		.default({})
		.describe("token buckets and live-run caps (JSON by tenant)"),
	HTTP_ALLOWLIST: List.transform((hosts) => hosts.map((host) => host.toLowerCase())).describe(
		"hosts http.request may reach; empty: off",
	),
	QUEUE_DELIVERY_MS: numberVar(30_000).describe("time a queued attempt gets beyond its timeout"),
	QUEUE_RETRY_DELAY_S: numberVar(2, { fractional: true }).describe(
		"first redelivery delay, doubling, at most 60 s",
	),
	CIRCUIT_BREAKERS: json(z.record(z.string(), BreakerConfigSchema.partial()))
		.default({})
		.describe("per-tool circuit breakers (JSON by tool)"),
	BULKHEADS: json(
		z
			.object({
				tenant: z.number().int().min(0).optional(),
				tool: z.number().int().min(0).optional(),
				tools: z.record(z.string(), z.number().int().min(0)).optional(),
			})
			.strict(),
	)
		.default({})
		.describe("queued steps running at once (JSON)"),
	TRACING: z
		.enum(["on", "off"])
		.default("on")
		.describe("off: no trace context, spans or trace headers"),
	TRACE_SAMPLE_RATE: numberVar(0.01, { fractional: true })
		.pipe(z.number().max(1))
		.describe("share of new traces whose spans are logged"),
	MAX_IN_FLIGHT: numberVar(500).describe("requests at once per isolate before 503 (0: none)"),
	BUDGETS: json(
		z
			.object({ default: BudgetSchema.optional(), ceiling: BudgetSchema.optional() })
			.catchall(BudgetSchema),
	)
		.default({})
		.describe('run budgets: "default", per tenant, and the hard "ceiling" (JSON)'),
	LLM_PRICES: json(
		z.record(
			z.string(),
			z
				.object({
					prompt_per_million: z.number().min(0),
					completion_per_million: z.number().min(0),
				})
				.strict(),
		),
	)
		.default(DEFAULT_PRICES)
		.describe("US$ per million tokens, by model (JSON)"),
	MCP_TIMEOUT_MS: numberVar(10_000, { min: 100 }).describe(
		"time an MCP server gets to list its tools, and each tool call's default",
	),
	STREAM_TOKEN_TTL_S: numberVar(300, { min: 1 })
		.pipe(z.number().max(3_600))
		.describe("lifetime of a run's stream token, at most 1 h"),
	OPENAI_API_KEY: z.string().optional().describe("secret: the model endpoint's key"),
	BOOTSTRAP_API_KEY: z.string().optional().describe("secret: the first API key"),
	STREAM_TOKEN_SECRET: z
		.preprocess(
			// `STREAM_TOKEN_SECRET=` (as .dev.vars.example has it) means unset, not a short secret.
			(value) => (value === "" ? undefined : value),
			z.string().min(32, "must be at least 32 characters").optional(),
		)
		.describe("secret: signs stream tokens (production needs it)"),
});

export type Settings = z.output<typeof SettingsSchema>;
export type BreakerSettings = z.output<typeof BreakerConfigSchema>;

/** The settings could not be parsed; the message names every bad variable, never its value. */
export class SettingsError extends Error {
	override readonly name = "SettingsError";
}

/** Parses the environment's variables, all problems at once. */
export function parseSettings(vars: Record<string, unknown>): Settings {
	const parsed = SettingsSchema.safeParse(vars);
	if (parsed.success) return parsed.data;
	const problems = parsed.error.issues.map(
		(issue) => `${issue.path.map(String).join(".") || "(root)"}: ${issue.message}`,
	);
	throw new SettingsError(`Invalid settings: ${problems.join("; ")}`);
}

const parsedFor = new WeakMap<object, Settings>();

/** The settings of one environment object, parsed once per isolate and `env`. */
export function settingsFor(env: object): Settings {
	let settings = parsedFor.get(env);
	if (!settings) {
		settings = parseSettings(env as Record<string, unknown>);
		parsedFor.set(env, settings);
	}
	return settings;
}

export const isProduction = (settings: Settings) => settings.ENVIRONMENT === "production";

/** Auth is always on in production, and on elsewhere when AUTH=on. */
export const authRequired = (settings: Settings) =>
	isProduction(settings) || settings.AUTH === "on";

/** A tool's breaker: its own entry over "default" over DEFAULTS.breaker. */
export function breakerConfigFor(settings: Settings, tool: string): BreakerSettings {
	const table = settings.CIRCUIT_BREAKERS;
	return {
		...DEFAULTS.breaker,
		...table.default,
		...(Object.hasOwn(table, tool) ? table[tool] : {}),
	};
}

export type TenantLimits = z.output<typeof TenantLimitsSchema>;

/** A tenant's limits: its own entry over "default" over DEFAULTS.tenant. */
export function limitsFor(settings: Settings, tenant: string): TenantLimits {
	const table = settings.RATE_LIMITS;
	return {
		...DEFAULTS.tenant,
		...table.default,
		...(Object.hasOwn(table, tenant) ? table[tenant] : {}),
	};
}

/** Queued steps running at once for a tenant and for a tool; 0 for no limit. */
export function bulkheadLimitsFor(
	settings: Settings,
	tool: string,
): { tenant: number; tool: number } {
	const { tenant, tool: perTool, tools } = settings.BULKHEADS;
	const named = tools && Object.hasOwn(tools, tool) ? tools[tool] : undefined;
	return {
		tenant: tenant ?? DEFAULTS.bulkheads.tenant,
		tool: named ?? perTool ?? DEFAULTS.bulkheads.tool,
	};
}

const DAY_MS = 86_400_000;

export const retentionMs = (settings: Settings) => settings.RUN_RETENTION_DAYS * DAY_MS;

/** The redelivery delay: QUEUE_RETRY_DELAY_S doubled per delivery, at most a minute. */
export function queueRetryDelayS(settings: Settings, deliveries: number): number {
	const doubled = settings.QUEUE_RETRY_DELAY_S * 2 ** Math.max(0, deliveries - 1);
	return Math.min(60, Math.round(doubled));
}

/**
 * A run's budget: what it asked for, else its tenant's default, else the deployment's default;
 * then each limit capped by the ceiling. Answers the limits that would pass a ceiling, to refuse.
 */
export function budgetFor(
	settings: Settings,
	tenant: string,
	asked: Budget | undefined,
): { budget: Budget; over: (keyof Budget)[] } {
	const { default: fallback, ceiling = {}, ...tenants } = settings.BUDGETS;
	const budget: Budget = { ...fallback, ...tenants[tenant], ...asked };
	const over = (Object.keys(ceiling) as (keyof Budget)[]).filter((name) => {
		const limit = ceiling[name];
		return limit !== undefined && asked?.[name] !== undefined && asked[name] > limit;
	});
	for (const name of Object.keys(ceiling) as (keyof Budget)[]) {
		const limit = ceiling[name];
		const value = budget[name];
		if (limit !== undefined) budget[name] = value === undefined ? limit : Math.min(value, limit);
	}
	return { budget, over };
}
