import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { methodNotAllowed } from "../errors";
import { createRun } from "../runs/create";
import { listRunsHandler } from "../runs/list";
import { readEvents, readRun } from "../runs/read";

/** The runs resource: create, list, read (live or archived, now or at any event), events. */
export const runs = new Hono<AppEnv>()
	.post("/", ...createRun)
	.get("/", ...listRunsHandler)
	.get("/:id", ...readRun)
	.get("/:id/events", ...readEvents)
	.all("/", methodNotAllowed(["GET", "POST"]))
	.all("/:id", methodNotAllowed(["GET"]))
	.all("/:id/events", methodNotAllowed(["GET"]));
