import { describe, expect, it } from "vitest";
import {
	approveCommand,
	cancelCommand,
	rejectCommand,
	retryCommand,
} from "../src/engine/run/commands";
import type { RunEventData } from "../src/engine/run/events";
import { planOf, stateAfter } from "./fixtures/run-state";

const runState = () => stateAfter(planOf([[], [1]]), []);

describe("run commands", () => {
	it("answer run_not_found for a run the tenant does not hold, whatever the command", () => {
		for (const result of [
			cancelCommand(undefined, false, null),
			retryCommand(undefined),
			approveCommand(undefined, 1),
			rejectCommand(undefined, 1, "no"),
		]) {
			expect(result).toEqual({
				ok: false,
				error: { code: "run_not_found", message: "No run has this id" },
			});
		}
	});

	it("answer step_not_found for a step that is not in the plan", () => {
		const state = runState();
		expect(approveCommand(state, 99)).toMatchObject({
			ok: false,
			error: { code: "step_not_found", message: "Step 99 is not in the plan" },
		});
		expect(rejectCommand(state, 99, "no")).toMatchObject({ error: { code: "step_not_found" } });
	});

	it("refuse an approval for a step that is not waiting for one, naming the run's status", () => {
		expect(approveCommand(runState(), 1)).toMatchObject({
			ok: false,
			error: { code: "invalid_state", status: "pending" },
		});
	});

	it("refuse to decide a step whose run is cancelling or finished, though its request stands", () => {
		const asked: RunEventData[] = [
			{ type: "approval_requested", step: 1, expires_at: "2099-01-01T00:00:00.000Z" },
		];
		expect(approveCommand(stateAfter(planOf([[], [1]]), asked), 1)).toMatchObject({ ok: true });
		const cancelling = [
			...asked,
			{ type: "run_cancel_requested", compensate: false, reason: null } as const,
		];
		const cancelled = [
			...cancelling,
			{ type: "step_cancelled", step: 1, reason: "The run was cancelled" } as const,
			{ type: "step_cancelled", step: 2, reason: "The run was cancelled" } as const,
			{ type: "run_cancelled" } as const,
		];
		for (const events of [cancelling, cancelled]) {
			const state = stateAfter(planOf([[], [1]]), events);
			expect(approveCommand(state, 1)).toMatchObject({ error: { code: "invalid_state" } });
			expect(rejectCommand(state, 1, "late")).toMatchObject({ error: { code: "invalid_state" } });
		}
	});

	it("cancel once, and refuse to cancel a finished run", () => {
		const state = runState();
		expect(cancelCommand(state, true, "why")).toEqual({
			ok: true,
			value: [{ type: "run_cancel_requested", compensate: true, reason: "why" }],
		});
		const cancelling = { ...state, cancel: { compensate: false, reason: null, requested_at: "" } };
		expect(cancelCommand(cancelling, false, null)).toEqual({ ok: true, value: [] });
		expect(cancelCommand({ ...state, status: "completed" }, false, null)).toMatchObject({
			error: { code: "invalid_state", status: "completed" },
		});
	});

	it("retry only a failed run, re-running every step that did not succeed", () => {
		const state = runState();
		expect(retryCommand(state)).toMatchObject({ error: { code: "invalid_state" } });
		const failed = {
			...state,
			status: "failed" as const,
			execution_log: state.execution_log.map((step, index) => ({
				...step,
				status: index === 0 ? ("succeeded" as const) : ("failed" as const),
			})),
		};
		const retried = retryCommand(failed);
		expect(retried).toMatchObject({ ok: true, value: [{ type: "run_retried" }] });
	});
});
