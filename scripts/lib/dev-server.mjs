// A local `wrangler dev` for the standalone bench scripts (stats-scale, tracing-overhead) and the
// browser tests: its migrations applied to a state directory of its own, started offline,
// stopped as a group.
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const wrangler = path.join(root, "node_modules/wrangler/bin/wrangler.js");
const quiet = {
	...process.env,
	CI: "true",
	CLOUDFLARE_CF_FETCH_ENABLED: "false",
	WRANGLER_SEND_METRICS: "false",
};

/** Applies the D1 migrations to `state` (with `flags`, e.g. ["--env", "bench"]). */
export function migrate(state, flags = []) {
	const result = spawnSync(
		process.execPath,
		[wrangler, "d1", "migrations", "apply", "DB", "--local", ...flags, "--persist-to", state],
		{ cwd: root, env: quiet, encoding: "utf8" },
	);
	if (result.status !== 0) throw new Error(`migrations failed:\n${result.stderr}`);
}

/** Serves `state` on `port` with `flags`; resolves once /health answers, with a stop function. */
export async function serve(state, port, flags = []) {
	const server = spawn(
		process.execPath,
		[wrangler, "dev", "--port", String(port), "--ip", "127.0.0.1", "--persist-to", state, ...flags],
		{ cwd: root, env: quiet, stdio: "ignore", detached: true },
	);
	const stop = () => process.kill(-server.pid);
	for (let tries = 0; tries < 120; tries += 1) {
		const up = await fetch(`http://127.0.0.1:${port}/health`).then(
			(res) => res.ok,
			() => false,
		);
		if (up) return stop;
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
	stop();
	throw new Error("the server did not start");
}

/** A TCP port nothing listens on right now. */
export function freePort() {
	return new Promise((resolve, reject) => {
		const probe = createServer();
		probe.once("error", reject);
		probe.listen(0, "127.0.0.1", () => {
			const { port } = probe.address();
			probe.close(() => resolve(port));
		});
	});
}
