/**
 * Data points for Workers Analytics Engine (the METRICS dataset): one per event worth counting,
 * with the tenant as the index so that per-tenant queries stay cheap. Blobs hold only values from
 * bounded sets (a kind, a route pattern, a status, a tool name, an error code), never prompts,
 * titles, inputs or keys; doubles hold the measurements. Writing never fails a request: the
 * dataset is best effort by design.
 */
export interface MetricPoint {
	kind: "http" | "run" | "delivery" | "dead_letter" | "breaker";
	tenant: string;
	/** Bounded labels, after the kind: e.g. route and status, or tool and outcome. */
	labels: string[];
	/** Measurements, e.g. duration in ms. */
	values?: number[];
}

export function recordPoint(env: Pick<Env, "METRICS">, point: MetricPoint): void {
	try {
		env.METRICS?.writeDataPoint({
			indexes: [point.tenant],
			blobs: [point.kind, ...point.labels],
			doubles: point.values ?? [],
		});
	} catch {
		// Metrics are never worth a failed request.
	}
}
