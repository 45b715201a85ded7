import { Hono } from "hono";
import { registryFor } from "../../config";
import type { AppEnv } from "../app-env";
import { methodNotAllowed } from "../errors";

/** The tool catalogue, with each input's JSON Schema as the planners see it. */
export const tools = new Hono<AppEnv>()
	.get("/", (c) => c.json({ tools: registryFor(c.env).describe() }))
	.all("/", methodNotAllowed(["GET"]));
