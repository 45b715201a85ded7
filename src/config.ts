import { Logger, parseLogLevel } from "./engine/log";
import { rulesPlanner } from "./engine/planner/rules";
import type { Planner } from "./engine/planner/types";
import { type ToolRegistry, toolRegistry } from "./engine/tools/registry";

/** Every piece of data is scoped by tenant; until API keys exist, all requests share this one. */
export const DEFAULT_TENANT = "default";

export function isProduction(env: Env): boolean {
	return env.ENVIRONMENT === "production";
}

/** The tools this deployment offers: fault injection only outside production. */
export function registryFor(env: Env): ToolRegistry {
	return toolRegistry({ includeDevTools: !isProduction(env) });
}

export function loggerFor(env: Env, fields: Record<string, unknown> = {}): Logger {
	return new Logger(fields, parseLogLevel(env.LOG_LEVEL));
}

/** The planner for new runs. The LLM planner plugs in here once a model is configured. */
export function plannerFor(_env: Env): Planner {
	return rulesPlanner;
}

const DAY_MS = 86_400_000;

/** How long a finished run's object keeps its storage after archiving (RUN_RETENTION_DAYS). */
export function retentionMs(env: Env): number {
	const days = Number(env.RUN_RETENTION_DAYS);
	return Number.isFinite(days) && days >= 0 ? days * DAY_MS : 7 * DAY_MS;
}
