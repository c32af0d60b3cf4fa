import { describe, expect, it } from "vitest";
import { sampledReconcile } from "../../../server/leaks/resource-recorder";

const share = (from: number, count: number, rate: number): number => {
  let sampled = 0;
  for (let id = from; id < from + count; id++) if (sampledReconcile(id, rate)) sampled += 1;
  return sampled / count;
};

describe("sampledReconcile", () => {
  it("samples the given share of consecutive reconcile ids, evenly over any stretch of them", () => {
    expect(share(1, 100_000, 0.1)).toBeCloseTo(0.1, 2);
    expect(share(5_000_000, 10_000, 0.01)).toBeCloseTo(0.01, 2);
    for (let from = 1; from < 10_000; from += 1_000) {
      const stretch = share(from, 200, 0.1);
      expect(stretch).toBeGreaterThanOrEqual(0.05);
      expect(stretch).toBeLessThanOrEqual(0.15);
    }
  });

  it("samples none at rate 0 and all at rate 1, and gives one id the same answer each time", () => {
    expect(share(1, 10_000, 0)).toBe(0);
    expect(share(1, 10_000, 1)).toBe(1);
    expect(share(-5_000, 10_000, 1)).toBe(1);
    for (let id = 1; id < 1_000; id++) expect(sampledReconcile(id, 0.3)).toBe(sampledReconcile(id, 0.3));
  });
});
