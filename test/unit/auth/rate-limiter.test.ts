import { describe, expect, it } from "vitest";
import { RateLimiter } from "../../../server/auth/rate-limiter";

describe("login rate limiter", () => {
  it("allows 5 per minute per key, then says when to retry", () => {
    let now = 1_000_000;
    const limiter = new RateLimiter(5, 60_000, () => now);
    for (let i = 0; i < 5; i++) {
      expect(limiter.take("10.0.0.1").allowed).toBe(true);
      now += 1_000;
    }
    const refused = limiter.take("10.0.0.1");
    expect(refused).toEqual({ allowed: false, retryAfterMs: 55_000 });
    expect(limiter.take("10.0.0.2").allowed).toBe(true);
    now += 55_000;
    expect(limiter.take("10.0.0.1").allowed).toBe(true);
  });

  it("keeps memory bounded under many addresses", () => {
    let now = 0;
    const limiter = new RateLimiter(5, 60_000, () => now, 100);
    for (let i = 0; i < 1_000; i++) {
      limiter.take(`a${i}`);
      now += 10;
    }
    expect(limiter.size).toBeLessThanOrEqual(101);
  });
});
