import { z } from "zod";
import { calculatorTool } from "./calculator";
import { chaosTools } from "./chaos";
import { httpRequestTool } from "./http-request";
import { llmGenerateTool } from "./llm-generate";
import { todoTools } from "./todo";
import type { ExecutionMode, Tool } from "./types";
import { waitTool } from "./wait";

export interface ToolDescription {
	name: string;
	description: string;
	mutates: boolean;
	requires_approval: boolean;
	compensable: boolean;
	execution: ExecutionMode;
	input_schema: Record<string, unknown>;
}

/** The tools a deployment offers, by name, with their JSON Schemas derived from zod once. */
export class ToolRegistry {
	private readonly tools: ReadonlyMap<string, Tool>;
	private described?: ToolDescription[];

	constructor(tools: readonly Tool[]) {
		this.tools = new Map(tools.map((tool) => [tool.name, tool]));
	}

	get(name: string): Tool | undefined {
		return this.tools.get(name);
	}

	hasCompensation(name: string): boolean {
		return this.tools.get(name)?.compensate !== undefined;
	}

	names(): string[] {
		return [...this.tools.keys()];
	}

	describe(): ToolDescription[] {
		this.described ??= [...this.tools.values()].map((tool) => ({
			name: tool.name,
			description: tool.description,
			mutates: tool.mutates,
			requires_approval: tool.requiresApproval ?? false,
			compensable: tool.compensate !== undefined,
			execution: tool.execution ?? "inline",
			input_schema:
				tool.inputJsonSchema ??
				(z.toJSONSchema(tool.input, { io: "input" }) as Record<string, unknown>),
		}));
		return this.described;
	}

	/** This registry plus a tenant's own tools (whose names never collide with a built-in). */
	with(extra: readonly Tool[]): ToolRegistry {
		if (extra.length === 0) return this;
		return new ToolRegistry([
			...this.tools.values(),
			...extra.filter((t) => !this.tools.has(t.name)),
		]);
	}

	/** Whether `name` is one of the deployment's own tools, not a tenant's. */
	isBuiltIn(name: string): boolean {
		return this.tools.has(name) && this.tools.get(name)?.inputJsonSchema === undefined;
	}
}

export interface RegistryOptions {
	/** Fault-injection tools exist only outside production. */
	includeDevTools: boolean;
}

const productionRegistry = new ToolRegistry([
	calculatorTool,
	...todoTools,
	waitTool,
	httpRequestTool,
	llmGenerateTool,
]);
// __DEV_TOOLS__ is a build flag (wrangler.toml [define]): false in the production build, so the
// bundler drops the chaos tools from it entirely; true for `npm start`, tests and benchmarks.
const developmentRegistry = __DEV_TOOLS__
	? new ToolRegistry([
			calculatorTool,
			...todoTools,
			waitTool,
			httpRequestTool,
			llmGenerateTool,
			...chaosTools,
		])
	: productionRegistry;

/** Returns the shared registry for an environment; both are built once per isolate. */
export function toolRegistry({ includeDevTools }: RegistryOptions): ToolRegistry {
	return includeDevTools ? developmentRegistry : productionRegistry;
}
