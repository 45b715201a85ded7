/** The tool executions a run's object has in flight, each with its own abort controller. */
export class InflightSteps {
	private readonly running = new Map<
		number,
		{ task: Promise<void>; controller: AbortController }
	>();

	/** Starts `work` for a step; it leaves the set when it settles, however it settles. */
	start(step: number, work: (signal: AbortSignal) => Promise<void>): void {
		const controller = new AbortController();
		const task = work(controller.signal).finally(() => {
			if (this.running.get(step)?.controller === controller) this.running.delete(step);
		});
		this.running.set(step, { task, controller });
	}

	steps(): ReadonlySet<number> {
		return new Set(this.running.keys());
	}

	get size(): number {
		return this.running.size;
	}

	/** A snapshot of the running tasks, safe to race after the set has moved on. */
	tasks(): Promise<void>[] {
		return [...this.running.values()].map((entry) => entry.task);
	}

	abortAll(reason: string): void {
		for (const entry of this.running.values()) entry.controller.abort(new Error(reason));
	}
}

/** Waits for the first of `tasks` to settle, or for `wakeAt` to pass. */
export async function raceUntil(tasks: Promise<void>[], wakeAt: number | null): Promise<void> {
	let timer: ReturnType<typeof setTimeout> | undefined;
	const due =
		wakeAt === null
			? []
			: [
					new Promise<void>(
						(resolve) => (timer = setTimeout(resolve, Math.max(0, wakeAt - Date.now()))),
					),
				];
	try {
		await Promise.race([...tasks, ...due]);
	} finally {
		if (timer !== undefined) clearTimeout(timer);
	}
}
