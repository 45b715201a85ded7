import { AppError } from "../engine/errors";

const RUN_ID = /^[0-9a-f]{64}$/;

/**
 * Turns a run id from a URL into its object id, or a 404. idFromString rejects ids this
 * namespace never issued, so no object is ever reached for an invented id.
 */
export function parseRunId(
	namespace: Pick<DurableObjectNamespace, "idFromString">,
	raw: string,
): DurableObjectId {
	const notFound = new AppError("run_not_found", "No run has this id");
	if (!RUN_ID.test(raw)) throw notFound;
	try {
		return namespace.idFromString(raw);
	} catch {
		throw notFound;
	}
}
