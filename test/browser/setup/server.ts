import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
// @ts-expect-error: a plain .mjs helper shared with .ci/run, without types
import { ensureChromium } from "../../../scripts/ensure-chromium.mjs";
// @ts-expect-error: a plain .mjs helper shared with the bench scripts, without types
import { freePort, migrate, serve } from "../../../scripts/lib/dev-server.mjs";

export const API_KEY = "browser-test-key-0123456789abcdef";

/**
 * One `wrangler dev` for the browser project, as a user would run it: auth on with a bootstrap
 * key, the rule planner, its own fresh state. Chromium is installed first if it is missing.
 */
export default async function startServer(project: TestProject) {
	const chromium: string = ensureChromium();
	const state = mkdtempSync(path.join(os.tmpdir(), "agent-browser-"));
	migrate(state);
	const port: number = await freePort();
	const vars = {
		ENVIRONMENT: "development",
		AUTH: "on",
		BOOTSTRAP_API_KEY: API_KEY,
		BOOTSTRAP_TENANT: "browser",
		DEFAULT_PLANNER: "rules",
		LOG_LEVEL: "warn",
		RATE_LIMITS: JSON.stringify({ browser: { capacity: 1000, refill_per_s: 100 } }),
	};
	const flags = [
		...Object.entries(vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
		...["--define", "__DEV_TOOLS__:true"],
	];
	const stop: () => void = await serve(state, port, flags);
	project.provide("baseUrl", `http://127.0.0.1:${port}`);
	project.provide("apiKey", API_KEY);
	project.provide("chromium", chromium);
	return () => {
		stop();
		rmSync(state, { recursive: true, force: true });
	};
}

declare module "vitest" {
	export interface ProvidedContext {
		baseUrl: string;
		apiKey: string;
		chromium: string;
	}
}
