import type { Hono } from "hono";
import { generateSpecs } from "hono-openapi";
import type { OpenAPIV3_1 } from "openapi-types";
import packageJson from "../../../package.json";
import type { AppEnv } from "../app-env";

const DOCUMENTATION = {
	info: {
		title: "Edge agent runtime API",
		version: packageJson.version,
		description:
			"Send a task in words (or a plan of tool steps); the runtime plans it, runs it durably, one Durable Object per run, and lets you follow it live. Every error is one JSON shape: `{ error: { code, message, details? } }`.",
	},
	tags: [
		{ name: "Runs", description: "Create, read, steer and follow runs" },
		{ name: "Tools", description: "The tool catalogue and dry runs" },
		{ name: "Operations", description: "Health, analytics and metrics" },
		{ name: "Reference", description: "This document and its reader" },
	],
	components: {
		securitySchemes: {
			bearerAuth: {
				type: "http" as const,
				scheme: "bearer",
				description:
					"An API key (`npm run keys -- create --tenant <name>`). Not needed when AUTH is off outside production.",
			},
		},
	},
	security: [{ bearerAuth: [] }],
};

/** `/runs/{id}` and the like get their path parameters, typed as strings unless validated. */
function withPathParameters(paths: OpenAPIV3_1.PathsObject): OpenAPIV3_1.PathsObject {
	for (const [path, item] of Object.entries(paths)) {
		const names = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1] ?? "");
		for (const operation of Object.values(item ?? {})) {
			const op = operation as OpenAPIV3_1.OperationObject;
			const present = new Set(
				(op.parameters ?? []).map((p) => (p as OpenAPIV3_1.ParameterObject).name),
			);
			const missing = names.filter((name) => !present.has(name));
			op.parameters = [
				...missing.map((name) => ({
					name,
					in: "path",
					required: true,
					schema: { type: "string" as const },
				})),
				...(op.parameters ?? []),
			];
		}
	}
	return paths;
}

const documents = new WeakMap<object, Promise<OpenAPIV3_1.Document>>();

/**
 * The OpenAPI 3.1 document of `app`, generated once per isolate from the routes' own
 * descriptions and the zod schemas their validators check.
 */
export function openApiDocument(app: Hono<AppEnv>): Promise<OpenAPIV3_1.Document> {
	let document = documents.get(app);
	if (!document) {
		document = generateSpecs(app, {
			documentation: DOCUMENTATION,
			excludeStaticFile: false,
			defaultValidationErrorResponse: false,
		}).then((specs) => ({ ...specs, paths: withPathParameters(specs.paths ?? {}) }));
		documents.set(app, document);
	}
	return document;
}
