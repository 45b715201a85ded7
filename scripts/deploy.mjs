#!/usr/bin/env node
// `npm run deploy [-- wrangler deploy flags]`: the preflight first, with the same flags (so
// `--env bench` is checked as bench, not as the top level), then `wrangler deploy`.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const script = (path) => fileURLToPath(new URL(path, import.meta.url));
const args = process.argv.slice(2);
// Without a named environment, wrangler asks which one is meant; "" is the top level.
const target = args.some((arg) => ["--env", "-e"].includes(arg.split("=")[0])) ? [] : ["--env="];

for (const command of [
	[script("./preflight.mjs"), ...args],
	[script("../node_modules/wrangler/bin/wrangler.js"), "deploy", ...target, ...args],
]) {
	const result = spawnSync(process.execPath, command, { stdio: "inherit" });
	if (result.status !== 0) process.exit(result.status ?? 1);
}
