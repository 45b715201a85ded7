import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { methodNotAllowed } from "../errors";
import { approveStep, cancelRun, deleteRun, forkRun, rejectStep, retryRun } from "../runs/control";
import { createRun } from "../runs/create";
import { listRunsHandler } from "../runs/list";
import { followRunSocket, followRunStream } from "../runs/live";
import { readEvents, readRun } from "../runs/read";

/** The runs resource: create, list, read, steer and follow. */
export const runs = new Hono<AppEnv>()
	.post("/", ...createRun)
	.get("/", ...listRunsHandler)
	.get("/:id", ...readRun)
	.delete("/:id", ...deleteRun)
	.get("/:id/events", ...readEvents)
	.get("/:id/ws", ...followRunSocket)
	.get("/:id/stream", ...followRunStream)
	.post("/:id/cancel", ...cancelRun)
	.post("/:id/retry", ...retryRun)
	.post("/:id/fork", ...forkRun)
	.post("/:id/steps/:n/approve", ...approveStep)
	.post("/:id/steps/:n/reject", ...rejectStep)
	.all("/", methodNotAllowed(["GET", "POST"]))
	.all("/:id", methodNotAllowed(["GET", "DELETE"]))
	.on(
		["GET", "POST", "PUT", "PATCH", "DELETE"],
		["/:id/events", "/:id/ws", "/:id/stream"],
		methodNotAllowed(["GET"]),
	)
	.on(
		["GET", "PUT", "PATCH", "DELETE"],
		["/:id/cancel", "/:id/retry", "/:id/fork", "/:id/steps/:n/approve", "/:id/steps/:n/reject"],
		methodNotAllowed(["POST"]),
	);
