/**
 * The one error class of the product. Every failure that reaches a user carries one of these
 * closed codes; src/worker maps each code to its HTTP status in a single table.
 */
export type ErrorCode =
	| "invalid_request"
	| "unauthorized"
	| "auth_not_configured"
	| "misconfigured"
	| "invalid_plan"
	| "unplannable_prompt"
	| "run_not_found"
	| "step_not_found"
	| "tool_not_found"
	| "invalid_state"
	| "idempotency_conflict"
	| "rate_limited"
	| "too_many_connections"
	| "too_many_live_runs"
	| "upgrade_required"
	| "route_not_found"
	| "method_not_allowed"
	| "payload_too_large"
	| "unsupported_media_type"
	| "internal_error";

export class AppError extends Error {
	override readonly name = "AppError";

	constructor(
		readonly code: ErrorCode,
		message: string,
		readonly details?: unknown,
	) {
		super(message);
	}
}
