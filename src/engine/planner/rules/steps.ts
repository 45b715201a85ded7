import type { Step } from "../../plan/model";
import { findRefs } from "../../plan/refs";
import type { Clause } from "./read";

/**
 * Numbers the clauses' calls in order. Independent steps get no dependency, so they run in
 * parallel; todo steps are chained in the order written; a wait is a barrier; a reference to an
 * earlier output is listed in `depends_on`, so the draft says what the validator would add.
 */
export function toSteps(clauses: readonly Clause[]): Step[] {
	let previousTodoStep: number | null = null;
	let barrier: number | null = null;
	const calls = clauses.flatMap((clause) => clause.calls.map((call) => ({ call, from: clause })));
	return calls.map(({ call, from }, index): Step => {
		const stepNumber = index + 1;
		const dependsOn = new Set<number>();
		const { tool } = call;
		if (tool === "wait") {
			// A wait separates what comes before it from what comes after, as people mean it.
			for (let earlier = barrier ?? 0; earlier < stepNumber - 1; earlier += 1)
				dependsOn.add(earlier + 1);
			barrier = stepNumber;
		} else if (barrier !== null) {
			dependsOn.add(barrier);
		}
		if (tool.startsWith("todo.")) {
			// Todo calls touch one shared list, so they keep the order the user wrote them in.
			if (previousTodoStep !== null) dependsOn.add(previousTodoStep);
			previousTodoStep = stepNumber;
		}
		for (const ref of findRefs(call.input)) {
			if (Number.isInteger(ref.step)) dependsOn.add(ref.step);
		}
		return {
			step_number: stepNumber,
			tool,
			input: call.input,
			reasoning: `${call.reasoning} (from "${from.text}")`,
			depends_on: [...dependsOn].sort((a, b) => a - b),
			requires_approval: false,
		};
	});
}
