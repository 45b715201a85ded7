import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError, type ErrorCode } from "../engine/errors";
import { Logger } from "../engine/log";
import { SettingsError } from "../settings";
import type { AppEnv } from "./app-env";

/**
 * Codes only the HTTP layer raises: routing and transport, auth and limits, and the checks of
 * resources that live here (tools, idempotency keys, live-run slots). The engine never sees them.
 */
export type HttpOnlyCode =
	| "unauthorized"
	| "auth_not_configured"
	| "misconfigured"
	| "tool_not_found"
	| "tool_exists"
	| "mcp_unusable"
	| "idempotency_conflict"
	| "rate_limited"
	| "too_many_connections"
	| "too_many_live_runs"
	| "upgrade_required"
	| "route_not_found"
	| "method_not_allowed"
	| "payload_too_large"
	| "unsupported_media_type"
	| "overloaded"
	| "internal_error";

/** Every code the API answers with. */
export type ApiErrorCode = ErrorCode | HttpOnlyCode;

/** The one error class, carrying any code the API answers with. */
export type ApiError = AppError<ApiErrorCode>;

/** The one table from error code to HTTP status. */
const STATUS: Record<ApiErrorCode, ContentfulStatusCode> = {
	invalid_request: 400,
	unauthorized: 401,
	auth_not_configured: 503,
	misconfigured: 503,
	invalid_plan: 400,
	unplannable_prompt: 422,
	run_not_found: 404,
	step_not_found: 404,
	tool_not_found: 404,
	tool_exists: 409,
	mcp_unusable: 422,
	invalid_state: 409,
	idempotency_conflict: 409,
	rate_limited: 429,
	too_many_connections: 429,
	too_many_live_runs: 429,
	upgrade_required: 426,
	route_not_found: 404,
	method_not_allowed: 405,
	payload_too_large: 413,
	unsupported_media_type: 415,
	internal_error: 500,
	overloaded: 503,
};

/** The status an error code is answered with. */
export const statusOf = (code: ApiErrorCode): ContentfulStatusCode => STATUS[code];

export interface ErrorBody {
	error: { code: ApiErrorCode; message: string; details?: unknown };
}

/** The one JSON error shape, with the status the table gives the error's code. */
export function errorResponse(c: Context<AppEnv>, error: ApiError): Response {
	const body: ErrorBody = { error: { code: error.code, message: error.message } };
	if (error.details !== undefined) body.error.details = error.details;
	if (error.code === "unauthorized") c.header("WWW-Authenticate", 'Bearer realm="api"');
	return c.json(body, STATUS[error.code]);
}

/**
 * The app's onError: known errors become their JSON shape; anything else is a bug, logged with
 * its stack on the server (Workers Logs maps it through the uploaded source maps) and answered
 * with a generic 500 that leaks nothing.
 */
export function handleError(error: Error, c: Context<AppEnv>): Response {
	if (isApiError(error)) return errorResponse(c, error);
	// Thrown before the request's logger exists: settings are parsed first.
	const logger = c.var.logger ?? new Logger({ request_id: c.var.requestId });
	if (error instanceof SettingsError) {
		logger.error("invalid settings", { error_message: error.message });
		return errorResponse(c, new AppError<ApiErrorCode>("misconfigured", error.message));
	}
	if (error instanceof HTTPException && error.status < 500) {
		// Hono raises these for malformed JSON bodies, before any validator sees them.
		return errorResponse(c, new AppError("invalid_request", error.message));
	}
	logger.error("unhandled error", {
		error: error.name,
		error_message: error.message,
		stack: error.stack,
	});
	return errorResponse(c, new AppError<ApiErrorCode>("internal_error", "Internal error"));
}

/** An AppError whose code the table knows: any other is a bug, answered as one. */
function isApiError(error: Error): error is ApiError {
	return error instanceof AppError && Object.hasOwn(STATUS, error.code);
}
