import { z } from "zod";

/**
 * A run's request to be written to D1, on the `run-archive` queue: just which run. The consumer
 * reads the run itself back from its object, so the message stays small whatever the run's size,
 * and a late message never writes a stale copy.
 */
export const ArchiveRequestSchema = z
	.object({ run_id: z.string().regex(/^[0-9a-f]{64}$/), tenant: z.string().min(1) })
	.strict();

export type ArchiveRequest = z.infer<typeof ArchiveRequestSchema>;
