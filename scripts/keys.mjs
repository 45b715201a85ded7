#!/usr/bin/env node
// API key admin through wrangler and D1: local by default, --remote for the deployed database.
//   npm run keys -- create --tenant acme [--name ci]
//   npm run keys -- list
//   npm run keys -- revoke <key prefix>
// Flags --remote, --env <name> and --persist-to <dir> pass through to `wrangler d1 execute`.
// Only the SHA-256 of a key is stored; the key itself is printed once, at creation.
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";

const wrangler = fileURLToPath(
	new URL("../node_modules/wrangler/bin/wrangler.js", import.meta.url),
);
const [command, ...rest] = process.argv.slice(2);

function flag(name) {
	const index = rest.indexOf(name);
	return index === -1 ? undefined : rest[index + 1];
}

function execute(sql) {
	const target = rest.includes("--remote") ? ["--remote"] : ["--local"];
	for (const name of ["--env", "--persist-to"]) if (flag(name)) target.push(name, flag(name));
	const result = spawnSync(
		process.execPath,
		[wrangler, "d1", "execute", "DB", ...target, "--json", "--command", sql],
		{
			encoding: "utf8",
			env: { ...process.env, CI: "true" },
		},
	);
	if (result.status !== 0) {
		console.error(result.stderr || result.stdout);
		process.exit(1);
	}
	return JSON.parse(result.stdout)[0]?.results ?? [];
}

const quote = (value) => `'${String(value).replaceAll("'", "''")}'`;

switch (command) {
	case "create": {
		const tenant = flag("--tenant");
		if (!tenant || !/^[A-Za-z0-9_-]{1,64}$/.test(tenant)) {
			console.error("usage: npm run keys -- create --tenant <name> [--name <label>]");
			process.exit(2);
		}
		const key = `ak_${randomBytes(32).toString("base64url")}`;
		const hash = createHash("sha256").update(key).digest("hex");
		execute(
			`INSERT INTO api_keys (key_hash, tenant, key_prefix, name, created_at) VALUES (${quote(hash)}, ${quote(tenant)}, ${quote(key.slice(0, 10))}, ${flag("--name") ? quote(flag("--name")) : "NULL"}, ${quote(new Date().toISOString())})`,
		);
		console.log(`tenant: ${tenant}\nkey:    ${key}\nKeep it now: only its hash is stored.`);
		break;
	}
	case "list":
		console.table(
			execute(
				"SELECT key_prefix, tenant, name, created_at, revoked_at FROM api_keys ORDER BY created_at",
			),
		);
		break;
	case "revoke": {
		const prefix = rest.find(
			(arg) => !arg.startsWith("--") && arg !== flag("--env") && arg !== flag("--persist-to"),
		);
		if (!prefix) {
			console.error("usage: npm run keys -- revoke <key prefix>");
			process.exit(2);
		}
		const matching = execute(
			`SELECT key_prefix, tenant FROM api_keys WHERE revoked_at IS NULL AND substr(key_prefix, 1, ${prefix.length}) = ${quote(prefix)}`,
		);
		if (matching.length === 0) {
			console.error(`no active key starts ${prefix} (see npm run keys -- list)`);
			process.exit(1);
		}
		if (matching.length > 1) {
			const which = matching.map((key) => `${key.key_prefix} (${key.tenant})`).join(", ");
			console.error(`${prefix} matches ${matching.length} active keys: ${which}; give more of it`);
			process.exit(1);
		}
		const [key] = matching;
		execute(
			`UPDATE api_keys SET revoked_at = ${quote(new Date().toISOString())} WHERE key_prefix = ${quote(key.key_prefix)} AND revoked_at IS NULL`,
		);
		console.log(
			`revoked ${key.key_prefix} of tenant ${key.tenant} (effective within a minute: Workers cache lookups for 60 s)`,
		);
		break;
	}
	default:
		console.error("usage: npm run keys -- create --tenant <name> | list | revoke <key prefix>");
		process.exit(2);
}
