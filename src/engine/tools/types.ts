import type { z } from "zod";
import type { Json } from "../json";
import type { TokenUsage } from "../plan/provenance";
import type { RetryPolicy } from "../resilience/retry-policy";
import { err, ok, type Result } from "../result";
import type { Span } from "../trace";
import type { LlmPort } from "./llm-generate";
import type { McpToolDefinition } from "./tenant/definition";
import type { McpCallResult } from "./tenant/mcp-tool";
import type { TodoPort } from "./todo/port";

/** What tenants' tools need beyond their recorded definition: secrets stay out of the log. */
export interface TenantToolPort {
	/**
	 * The HTTP tool's current signing secret, if the tool is still the one `toolId` names;
	 * undefined once it was deleted (even if another tool took its name since).
	 */
	secret(name: string, toolId: string): Promise<string | undefined>;
	/** `tools/call` on the tool's MCP server, with the server's current headers. */
	callMcp(
		definition: McpToolDefinition,
		args: Record<string, Json>,
		ctx: ToolContext,
	): Promise<McpCallResult>;
}

/** Platform services a tool may call. The Durable Object adapters provide them. */
export interface ToolServices {
	todos: TodoPort;
	/** Hosts http.request may reach (host, or host:port for private addresses). */
	http: { allowlist: readonly string[] };
	tenantTools?: TenantToolPort;
	/** The configured model, for llm.generate; absent when none is configured. */
	llm?: LlmPort;
}

export interface ToolContext {
	runId: string;
	tenant: string;
	stepNumber: number;
	attempt: number;
	/** Stable across attempts of one step, so a repeated delivery of a mutation applies once. */
	idempotencyKey: string;
	/** The attempt's span (or its queue delivery's), when the run has a trace. */
	trace?: Span;
	signal: AbortSignal;
	services: ToolServices;
}

export interface ToolFailure {
	code: string;
	message: string;
	/** A transient fault is retried; a deterministic one (division by zero) fails at once. */
	retryable: boolean;
	/** The earliest sensible next attempt, in ms from now (a circuit breaker's cool-down). */
	retry_after_ms?: number;
	/** Model tokens the failed attempt still used (llm.generate), and their cost. */
	spend?: { usage: TokenUsage | null; cost_usd: number };
}

/**
 * Where a tool runs: `inline` inside the run's alarm, or `queued` by the Worker's queue consumer,
 * which leaves the run's object free while slow or external work is under way.
 */
export type ExecutionMode = "inline" | "queued";

export type ToolResult = Result<Json, ToolFailure>;

export interface Tool<S extends z.ZodType = z.ZodType> {
	name: string;
	description: string;
	input: S;
	/** A tenant's tool keeps the JSON Schema it was registered with, shown as it was given. */
	inputJsonSchema?: Record<string, unknown>;
	/** True when executing the tool changes state outside the run. */
	mutates: boolean;
	/** Inline unless said otherwise. */
	execution?: ExecutionMode;
	/** Destructive: every step using it waits for a person's approval, whatever the plan says. */
	requiresApproval?: boolean;
	retry?: Partial<RetryPolicy>;
	// Method syntax keeps registries of differently-typed tools assignable to Tool.
	execute(input: z.output<S>, ctx: ToolContext): Promise<ToolResult>;
	/**
	 * Present on tools that only wait: the run's object then sleeps on its alarm for this many ms,
	 * holding no CPU, instead of calling execute.
	 */
	sleepMs?(input: z.output<S>): number;
	/** What executing a mutating tool would do, in words, for dry runs; nothing is changed. */
	preview?(input: z.output<S>): string;
	/**
	 * A refusal that execution would certainly meet, known without executing (a host off the
	 * allowlist): dry runs report it instead of promising what would not happen.
	 */
	precheck?(input: z.output<S>, services: ToolServices): ToolFailure | undefined;
	/** Undoes a successful execution, given its input and output (the saga's compensation). */
	compensate?(input: z.output<S>, output: Json, ctx: ToolContext): Promise<ToolResult>;
}

/** Thrown inside a tool to fail the step with a code; anything else thrown counts as transient. */
export class ToolError extends Error {
	constructor(
		readonly code: string,
		message: string,
		readonly retryable = false,
	) {
		super(message);
	}
}

/**
 * Thrown by a tool to fault the delivery that carries it rather than the step: a queue consumer
 * then acks without reporting (`drop_report`, so the run's deadline must catch it) or retries
 * the message (`crash_consumer`, until it is dead-lettered). Only the chaos tool throws it.
 */
export class DeliveryFault extends Error {
	constructor(readonly kind: "drop_report" | "crash_consumer") {
		super(`Injected delivery fault: ${kind}`);
	}
}

/** Identity helper that checks a tool against its own schema's types. */
export function defineTool<S extends z.ZodType>(tool: Tool<S>): Tool {
	return tool;
}

export function succeed(output: Json): ToolResult {
	return ok(output);
}

export function fail(code: string, message: string, retryable = false): ToolResult {
	return err({ code, message, retryable });
}
