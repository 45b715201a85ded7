#!/usr/bin/env node
// `npm run deploy` runs this before `wrangler deploy`: it reads the resolved wrangler config and
// names every step of the README's Deploy section that is visibly missing, instead of letting a
// deploy through that would fail at its first request. It cannot see remote state (secrets, the
// remote D1's applied migrations): those stay on the checklist it prints.
//   node scripts/preflight.mjs [--env <name>] [--config <path>]
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { unstable_readConfig } from "wrangler";

const args = process.argv.slice(2);
const option = (name) => {
	const index = args.indexOf(name);
	return index === -1 ? undefined : args[index + 1];
};

const PLACEHOLDER_ID = /^0{8}-0{4}-4000-8000-0{12}$/;

/** Each check returns a problem to fix, or nothing. */
function problemsIn(config, root) {
	const problems = [];
	for (const db of config.d1_databases ?? []) {
		if (!db.database_id || PLACEHOLDER_ID.test(db.database_id)) {
			problems.push(
				`D1 binding ${db.binding}: database_id is the local placeholder ${db.database_id}. Run ` +
					`\`npx wrangler d1 create ${db.database_name}\` and paste its id into wrangler.toml.`,
			);
		}
		const dir = path.resolve(root, db.migrations_dir ?? "migrations");
		const sql = existsSync(dir) ? readdirSync(dir).filter((file) => file.endsWith(".sql")) : [];
		if (sql.length === 0) {
			problems.push(`D1 binding ${db.binding}: no migrations in ${dir} (npm run db:generate).`);
		}
	}
	const produced = new Set((config.queues?.producers ?? []).map((queue) => queue.queue));
	for (const consumer of config.queues?.consumers ?? []) {
		if (consumer.dead_letter_queue) produced.add(consumer.dead_letter_queue);
		if (!produced.has(consumer.queue)) {
			problems.push(`Queue ${consumer.queue} is consumed but nothing produces it.`);
		}
	}
	if (config.vars?.ENVIRONMENT !== "production") {
		problems.push(
			`vars.ENVIRONMENT is "${config.vars?.ENVIRONMENT}": only "production" requires API keys.`,
		);
	}
	if (config.define?.__DEV_TOOLS__ !== "false") {
		problems.push("__DEV_TOOLS__ is not false: the chaos tools would ship to production.");
	}
	return problems;
}

const configPath = option("--config") ?? "wrangler.toml";
const envFlag = args.find((arg) => arg.startsWith("--env=") || arg.startsWith("-e="));
const env = option("--env") ?? option("-e") ?? envFlag?.split("=")[1];
const config = unstable_readConfig(
	{ config: configPath, env: env || undefined },
	{ hideWarnings: true },
);
const problems = problemsIn(config, path.dirname(path.resolve(configPath)));
if (problems.length > 0) {
	console.error("Not deploying: fix these first (README, Deploy).\n");
	for (const problem of problems) console.error(`  ✗ ${problem}`);
	process.exit(1);
}
const queues = [
	...new Set([
		...(config.queues?.producers ?? []).map((queue) => queue.queue),
		...(config.queues?.consumers ?? []).flatMap((queue) =>
			[queue.queue, queue.dead_letter_queue].filter(Boolean),
		),
	]),
];
console.log("Preflight passed. Wrangler will check the rest; make sure these are done:");
for (const queue of queues) console.log(`  · npx wrangler queues create ${queue}`);
console.log("  · npm run db:migrate:remote");
console.log(
	"  · npx wrangler secret put BOOTSTRAP_API_KEY and STREAM_TOKEN_SECRET (and OPENAI_API_KEY for the model)",
);
