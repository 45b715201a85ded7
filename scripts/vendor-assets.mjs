#!/usr/bin/env node
// Copies the browser files the Worker serves from other packages into public/vendor (ignored by
// git): Swagger UI for GET /docs. Runs after every `npm install` and `npm ci` (postinstall), so
// the static assets are complete before `npm start`, the tests or a deploy read them.
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const require = createRequire(import.meta.url);
const swaggerUi = path.dirname(require.resolve("swagger-ui-dist/package.json"));
const target = path.join(root, "public/vendor/swagger-ui");
mkdirSync(target, { recursive: true });
for (const file of ["swagger-ui-bundle.js", "swagger-ui.css", "LICENSE"]) {
	copyFileSync(path.join(swaggerUi, file), path.join(target, file));
}
