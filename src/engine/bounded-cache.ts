/**
 * A per-isolate cache with a size cap and an age cap: the oldest entry goes first when full, and
 * an entry older than `ttlMs` reads as absent. Anything keyed by what clients send (tokens,
 * addresses) must be bounded both ways, or a flood of distinct keys grows it without end.
 */
export class BoundedCache<V> {
	private readonly entries = new Map<string, { value: V; until: number }>();

	constructor(
		private readonly maxEntries: number,
		private readonly ttlMs: number,
	) {}

	get(key: string, now: number): V | undefined {
		const entry = this.entries.get(key);
		if (!entry) return undefined;
		if (entry.until > now) return entry.value;
		this.entries.delete(key);
		return undefined;
	}

	set(key: string, value: V, now: number, ttlMs = this.ttlMs): void {
		this.entries.delete(key);
		while (this.entries.size >= this.maxEntries) {
			const oldest = this.entries.keys().next();
			if (oldest.done) break;
			this.entries.delete(oldest.value);
		}
		this.entries.set(key, { value, until: now + ttlMs });
	}

	get size(): number {
		return this.entries.size;
	}

	delete(key: string): void {
		this.entries.delete(key);
	}

	clear(): void {
		this.entries.clear();
	}
}
