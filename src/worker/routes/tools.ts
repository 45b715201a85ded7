import { Hono } from "hono";
import { breakerReports } from "../../durable/tool-breakers";
import { AppError } from "../../engine/errors";
import { HttpToolBody, isTenantTool } from "../../engine/tools/tenant/definition";
import type { AppEnv } from "../app-env";
import type { ApiErrorCode } from "../errors";
import { doc } from "../openapi/describe";
import {
	DeletedSchema,
	DryRunSchema,
	SecretSchema,
	TenantToolSchema,
	ToolCreatedSchema,
	ToolsSchema,
	ToolVersionSchema,
} from "../openapi/schemas";
import { DryRunBody, dryRun } from "../tools/dry-run";
import {
	registerHttpTool,
	removeHttpTool,
	replaceHttpTool,
	rotateSecret,
} from "../tools/http-tools";
import { describeTenantTool, tenantRegistry } from "../tools/tenant-registry";
import { validate } from "../validate";

const tags = ["Tools"];
const one = { status: 200, description: "The tool", schema: TenantToolSchema };

/**
 * The tool catalogue (the deployment's and the tenant's own), registration of HTTP tools, and
 * dry runs: POST /tools/:name/test { input } validates the input; a read-only tool then runs for
 * real, a mutating one only says what it would do.
 */
export const tools = new Hono<AppEnv>()
	.get(
		"/",
		doc({
			summary: "The tool catalogue: built-ins with their breakers, then your own tools",
			tags,
			ok: { status: 200, description: "Every tool you can plan with", schema: ToolsSchema },
		}),
		async (c) => {
			const { registry, catalogue } = await tenantRegistry(c);
			const builtIns = registry.describe().filter((tool) => !isTenantTool(tool.name));
			const breakers = await breakerReports(
				c.env,
				c.var.settings,
				builtIns.map((t) => t.name),
			);
			return c.json({
				tools: [
					...builtIns.map((tool) => ({ ...tool, owner: "runtime", breaker: breakers[tool.name] })),
					...catalogue.map((own) => ({
						...registry.describe().find((tool) => tool.name === own.name),
						...describeTenantTool(own),
					})),
				],
			});
		},
	)
	.post(
		"/",
		doc({
			summary: "Register an HTTP tool of your own (answers its signing secret, once)",
			tags,
			write: true,
			ok: {
				status: 201,
				description: "The tool, version 1, and its secret",
				schema: ToolCreatedSchema,
			},
			errors: ["tool_exists"],
		}),
		validate("json", HttpToolBody),
		(c) => registerHttpTool(c, c.req.valid("json")),
	)
	.get(
		"/:name",
		doc({
			summary: "One tool: a built-in, or yours (current version)",
			tags,
			ok: one,
			errors: ["tool_not_found"],
		}),
		async (c) => {
			const name = c.req.param("name");
			const { registry, catalogue } = await tenantRegistry(c);
			const tool = registry.describe().find((t) => t.name === name);
			if (!tool) throw new AppError<ApiErrorCode>("tool_not_found", `No tool is named '${name}'`);
			const own = catalogue.find((d) => d.name === name);
			return c.json(own ? { ...tool, ...describeTenantTool(own) } : { ...tool, owner: "runtime" });
		},
	)
	.put(
		"/:name",
		doc({
			summary: "A new version of your HTTP tool (runs already planned keep theirs)",
			tags,
			write: true,
			ok: { status: 200, description: "The new version", schema: ToolVersionSchema },
			errors: ["tool_not_found"],
		}),
		validate("json", HttpToolBody),
		(c) => replaceHttpTool(c, c.req.param("name"), c.req.valid("json")),
	)
	.delete(
		"/:name",
		doc({
			summary: "Delete your HTTP tool",
			tags,
			write: true,
			ok: { status: 200, description: "Deleted", schema: DeletedSchema },
			errors: ["tool_not_found"],
		}),
		(c) => removeHttpTool(c, c.req.param("name")),
	)
	.post(
		"/:name/secret",
		doc({
			summary: "Rotate your HTTP tool's signing secret (answers the new one)",
			tags,
			write: true,
			ok: { status: 200, description: "The new secret", schema: SecretSchema },
			errors: ["tool_not_found"],
		}),
		(c) => rotateSecret(c, c.req.param("name")),
	)
	.post(
		"/:name/test",
		doc({
			summary: "Dry-run a tool: validate an input; run it only if it changes nothing",
			tags,
			write: true,
			ok: { status: 200, description: "The verdict", schema: DryRunSchema },
			errors: ["tool_not_found"],
		}),
		validate("json", DryRunBody),
		(c) => dryRun(c, c.req.param("name"), c.req.valid("json").input),
	);
