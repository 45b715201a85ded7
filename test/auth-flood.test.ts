import { describe, expect, it } from "vitest";
import { BoundedCache } from "../src/engine/bounded-cache";
import { BOOTSTRAP, call } from "./fixtures/auth";

describe("bounded cache", () => {
	it("drops the oldest entry when full, and forgets entries past their age", () => {
		const cache = new BoundedCache<number>(2, 1_000);
		cache.set("a", 1, 0);
		cache.set("b", 2, 0);
		cache.set("c", 3, 0);
		expect([cache.get("a", 10), cache.get("b", 10), cache.get("c", 10)]).toEqual([undefined, 2, 3]);
		expect(cache.size).toBe(2);
		expect(cache.get("b", 1_000)).toBeUndefined();
		cache.set("short", 4, 0, 10);
		expect(cache.get("short", 10)).toBeUndefined();
	});
});

describe("failed authentication", () => {
	const from = (address: string, key: string) =>
		call("/runs", { headers: { "CF-Connecting-IP": address } }, key);

	it("is rate-limited per client address before any key lookup", async () => {
		const flooder = "203.0.113.7";
		for (let attempt = 0; attempt < 30; attempt += 1) {
			const res = await from(flooder, `ak_invented_${attempt.toString().padStart(20, "0")}`);
			expect(res.status).toBe(401);
		}
		const refused = await from(flooder, "ak_invented_one_more_0000000000");
		expect(refused.status).toBe(429);
		expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
		expect(await refused.json()).toMatchObject({ error: { code: "rate_limited" } });
		// Another address is unaffected, with a good key or a bad one.
		expect((await from("203.0.113.8", BOOTSTRAP)).status).toBe(200);
		expect((await from("203.0.113.8", "ak_invented_elsewhere_000000000")).status).toBe(401);
	});
});
