import { createFactory } from "hono/factory";
import type { AppEnv } from "./app-env";

/** Typed handler and middleware builders for this app's environment. */
export const factory = createFactory<AppEnv>();
