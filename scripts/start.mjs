#!/usr/bin/env node
// `npm start -- <wrangler dev flags>`: applies the D1 migrations to the same local state that
// `wrangler dev` will use (honouring --persist-to and --env), then serves the API.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const wrangler = fileURLToPath(
	new URL("../node_modules/wrangler/bin/wrangler.js", import.meta.url),
);
const args = process.argv.slice(2);

/** The flags `wrangler d1 migrations apply` shares with `wrangler dev`. */
function sharedFlags(flags) {
	const shared = [];
	for (let i = 0; i < flags.length; i += 1) {
		const flag = flags[i];
		const name = flag.split("=")[0];
		if (!["--persist-to", "--env", "-e", "--config", "-c"].includes(name)) continue;
		shared.push(flag);
		const value = flags[i + 1];
		if (!flag.includes("=") && value !== undefined) {
			shared.push(value);
			i += 1;
		}
	}
	return shared;
}

// Offline by default: without these, wrangler tries to fetch the `Request.cf` placeholder and
// to send telemetry, and prints a stack trace for each failure. The shell can still opt in.
const quiet = {
	CLOUDFLARE_CF_FETCH_ENABLED: "false",
	WRANGLER_SEND_METRICS: "false",
	...process.env,
};

function run(command) {
	const result = spawnSync(process.execPath, [wrangler, ...command], {
		stdio: "inherit",
		env: { ...quiet, CI: process.env.CI ?? "true" },
	});
	if (result.status !== 0) process.exit(result.status ?? 1);
}

// Settings from the shell reach the Worker as vars, so `AUTH=on npm start` or
// `OPENAI_BASE_URL=http://127.0.0.1:8788/v1 npm start` work without a secrets file.
// ENVIRONMENT defaults to development here (wrangler.toml's [vars] describe production), unless
// a named environment is chosen.
const FORWARDED = [
	"ENVIRONMENT",
	"AUTH",
	"LOG_LEVEL",
	"OPENAI_BASE_URL",
	"OPENAI_MODEL",
	"OPENAI_TIMEOUT_MS",
	"DEFAULT_PLANNER",
	"HTTP_ALLOWLIST",
	"TRACING",
	"BUDGETS",
	"LLM_PRICES",
	"MCP_TIMEOUT_MS",
	"STREAM_TOKEN_TTL_S",
];
// A named environment (--env bench) brings its own ENVIRONMENT from wrangler.toml.
const named = args.some((arg) => ["--env", "-e"].includes(arg.split("=")[0]));
const settings = { ...(named ? {} : { ENVIRONMENT: "development" }), ...process.env };
const vars = FORWARDED.filter((name) => settings[name]).flatMap((name) => [
	"--var",
	`${name}:${settings[name]}`,
]);

// Secrets are not forwarded: on the command line they would show in the process list. Say so,
// rather than let `BOOTSTRAP_API_KEY=… npm start` start with the key silently ignored.
for (const secret of ["BOOTSTRAP_API_KEY", "OPENAI_API_KEY", "STREAM_TOKEN_SECRET"]) {
	if (process.env[secret]) {
		console.warn(
			`[start] ${secret} is set in the shell, but secrets are read from .dev.vars only: put it there (see .dev.vars.example).`,
		);
	}
}

run(["d1", "migrations", "apply", "DB", "--local", ...sharedFlags(args)]);
// Development builds include the fault-injection tools (chaos); the production build does not.
const devTools = ["--define", "__DEV_TOOLS__:true"];
const dev = spawnSync(process.execPath, [wrangler, "dev", ...devTools, ...vars, ...args], {
	stdio: "inherit",
	env: quiet,
});
process.exit(dev.status ?? 0);
