/**
 * The codes the engine and the Durable Objects raise: the run's own failures, whatever carries
 * them. Codes only the HTTP layer raises (routing, auth, limits) live in src/worker/errors.ts,
 * which maps every code to its status in one table.
 */
export type ErrorCode =
	| "invalid_request"
	| "invalid_plan"
	| "unplannable_prompt"
	| "run_not_found"
	| "step_not_found"
	| "invalid_state";

/**
 * The one error class of the product, closed over its codes. `Code` is never inferred from the
 * argument, so `new AppError("…")` accepts only the engine's codes; the Worker names its wider
 * union explicitly (`AppError<ApiErrorCode>`).
 */
export class AppError<Code extends string = ErrorCode> extends Error {
	override readonly name = "AppError";

	constructor(
		readonly code: NoInfer<Code>,
		message: string,
		readonly details?: unknown,
	) {
		super(message);
	}
}
