import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodePoints, encodePoints, RobustBaseline } from "../../../server/anomaly/baseline";

function sortedCopy(values: number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

function medianOf(values: number[]): number {
  const s = sortedCopy(values);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

describe("RobustBaseline", () => {
  it("keeps the median and one-sided spreads of exactly the newest `capacity` points", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 200 }), fc.integer({ min: 1, max: 50 }), (values, capacity) => {
        const b = new RobustBaseline(capacity, Number.POSITIVE_INFINITY, 1);
        for (const [i, v] of values.entries()) b.add(i, v, v);
        const kept = values.slice(-capacity);
        const m = medianOf(kept);
        expect(b.size).toBe(kept.length);
        expect(b.median()).toBe(m);
        const above = kept.filter((v) => v > m).map((v) => v - m);
        const below = kept.filter((v) => v < m).map((v) => m - v);
        expect(b.aboveSpread(m)).toEqual({ spread: above.length ? medianOf(above) : 0, count: above.length });
        expect(b.belowSpread(m)).toEqual({ spread: below.length ? medianOf(below) : 0, count: below.length });
      }),
    );
  });

  it("drops points older than its span", () => {
    const b = new RobustBaseline(100, 10_000, 1);
    for (let ts = 0; ts <= 60_000; ts += 5_000) b.add(ts, ts, ts);
    expect(b.toState().ts).toEqual([50_000, 55_000, 60_000]);
  });

  it("knows when every stored value is a whole number", () => {
    const b = new RobustBaseline(3, Number.POSITIVE_INFINITY, 1);
    b.add(1, 1, 1);
    b.add(2, 2.5, 2.5);
    expect(b.allIntegral()).toBe(false);
    b.add(3, 3, 3);
    b.add(4, 4, 4);
    b.add(5, 5, 5); // 2.5 evicted
    expect(b.allIntegral()).toBe(true);
  });

  it("restores from its state with the same statistics", () => {
    const b = new RobustBaseline(50, Number.POSITIVE_INFINITY, 1);
    for (let i = 0; i < 80; i += 1) b.add(i * 1000, Math.sin(i) * 10, Math.sin(i) * 10);
    const restored = new RobustBaseline(50, Number.POSITIVE_INFINITY, 1, JSON.parse(JSON.stringify(b.toState())));
    const m = b.median();
    expect(restored.median()).toBe(m);
    expect(restored.aboveSpread(m)).toEqual(b.aboveSpread(m));
    expect(restored.belowSpread(m)).toEqual(b.belowSpread(m));
  });

  it("stores timestamps compactly and exactly", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e13, noNaN: true }), { maxLength: 50 }), (raw) => {
        const ts = [...new Set(raw)].sort((a, b) => a - b);
        const values = ts.map((_, i) => i);
        expect(decodePoints(JSON.parse(JSON.stringify(encodePoints(ts, values))))).toEqual({ ts, values });
      }),
    );
    const steady = encodePoints([1_000, 6_000, 11_000], [1, 2, 3]);
    expect(steady).toEqual({ t0: 1_000, dt: [5_000, 5_000], values: [1, 2, 3] });
  });
});
