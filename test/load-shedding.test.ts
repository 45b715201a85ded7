import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/worker/app";

describe("load shedding", () => {
	it("answers 503 overloaded with Retry-After past capacity, at once, but never for /health", async () => {
		const app = createApp();
		let release = () => {};
		const held = new Promise<void>((resolve) => {
			release = resolve;
		});
		app.get("/held", async (c) => {
			await held;
			return c.text("done");
		});
		const limited = { ...env, MAX_IN_FLIGHT: "1" };
		const call = async (path: string) => {
			const ctx = createExecutionContext();
			const res = await app.fetch(new Request(`http://runtime.test${path}`), limited, ctx);
			await waitOnExecutionContext(ctx);
			return res;
		};
		const first = call("/held");
		const refused = await call("/runs");
		expect(refused.status).toBe(503);
		expect(refused.headers.get("retry-after")).toBe("1");
		expect(await refused.json()).toMatchObject({ error: { code: "overloaded" } });
		expect((await call("/health")).status).toBe(200);
		release();
		expect(await (await first).text()).toBe("done");
		expect((await call("/runs")).status).toBe(200);
	});
});
