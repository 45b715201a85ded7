import { defineConfig } from "drizzle-kit";

// Generates SQL migrations from the one typed schema; wrangler applies them to D1.
export default defineConfig({
	dialect: "sqlite",
	schema: "./src/db/schema.ts",
	out: "./migrations",
});
