import { checkUrl } from "../http-request";
import type { Tool } from "../types";
import type { TenantToolDefinition } from "./definition";
import { zodFromJsonSchema } from "./json-schema";

/**
 * What every tenant tool takes from its recorded definition: its schema as a validator, its flags,
 * its timeout, and a dry-run precheck of the host it would reach (`url`) against the allowlist.
 */
export function tenantToolBase(definition: TenantToolDefinition, url: string) {
	return {
		name: definition.name,
		description: definition.description,
		input: zodFromJsonSchema(definition.input_schema),
		inputJsonSchema: definition.input_schema,
		mutates: definition.mutates,
		requiresApproval: definition.requires_approval,
		execution: definition.execution,
		retry: { timeout_ms: definition.timeout_ms },
		precheck: (_input, services) => {
			const refusal = checkUrl(new URL(url), services.http.allowlist);
			return refusal ? { code: "host_not_allowed", message: refusal, retryable: false } : undefined;
		},
	} satisfies Partial<Tool>;
}
