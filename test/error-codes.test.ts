import { describe, expect, it } from "vitest";
import { AppError } from "../src/engine/errors";
import type { ApiErrorCode } from "../src/worker/errors";

describe("error codes", () => {
	it("keep transport codes out of the engine, and let the Worker raise them on the one class", () => {
		// @ts-expect-error method_not_allowed is an HTTP-only code: the engine cannot raise it.
		const fromEngine = new AppError("method_not_allowed", "No");
		const fromWorker = new AppError<ApiErrorCode>("method_not_allowed", "No");
		expect(fromWorker).toBeInstanceOf(AppError);
		expect(fromEngine.code).toBe(fromWorker.code);
	});
});
