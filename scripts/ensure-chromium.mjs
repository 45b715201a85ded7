#!/usr/bin/env node
// The browser tests drive Debian's `chromium` package (browser downloads by test tools cannot
// work here). Installs it with apt-get when /usr/bin/chromium is missing and this process may
// (root); otherwise says exactly what to run. Used by the browser tests' setup and by .ci/run.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function ensureChromium() {
	if (existsSync(CHROMIUM)) return CHROMIUM;
	const root = process.getuid?.() === 0;
	if (!root || !existsSync("/usr/bin/apt-get")) {
		throw new Error(
			`Chromium is missing at ${CHROMIUM}: run \`sudo apt-get install -y chromium\` (or set CHROMIUM_PATH)`,
		);
	}
	console.error("[browser tests] installing Debian's chromium package (once)");
	const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
	for (const args of [["update"], ["install", "-y", "--no-install-recommends", "chromium"]]) {
		const result = spawnSync("apt-get", args, { stdio: "inherit", env });
		if (result.status !== 0) throw new Error(`apt-get ${args.join(" ")} failed`);
	}
	if (!existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium, but not at ${CHROMIUM}`);
	return CHROMIUM;
}

if (import.meta.url === `file://${process.argv[1]}`) ensureChromium();
