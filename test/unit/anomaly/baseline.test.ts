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

/** The reference one-sided spread: distances of one side, plus half the ties at 0 when that side is rare (< 1/4). */
function sideSpread(kept: number[], m: number, side: 1 | -1): { spread: number; count: number } {
  const distances = kept.filter((v) => side * (v - m) > 0).map((v) => side * (v - m));
  const ties = kept.filter((v) => v === m).length;
  const all = distances.length * 4 < kept.length ? [...distances, ...Array<number>(Math.floor(ties / 2)).fill(0)] : distances;
  return { spread: all.length ? medianOf(all) : 0, count: all.length };
}

describe("RobustBaseline", () => {
  it("keeps the median and one-sided spreads of exactly the newest `capacity` points", () => {
    const check = (values: number[], capacity: number) => {
      const b = new RobustBaseline(capacity, Number.POSITIVE_INFINITY, 1);
      for (const [i, v] of values.entries()) b.add(i, v, v);
      const kept = values.slice(-capacity);
      const m = medianOf(kept);
      expect(b.size).toBe(kept.length);
      expect(b.median()).toBe(m);
      expect(b.aboveSpread(m)).toEqual(sideSpread(kept, m, 1));
      expect(b.belowSpread(m)).toEqual(sideSpread(kept, m, -1));
    };
    fc.assert(fc.property(fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 200 }), fc.integer({ min: 1, max: 50 }), check));
    // Many ties (counts, zero-inflated rates), where a rare side shares the ties.
    fc.assert(fc.property(fc.array(fc.integer({ min: -2, max: 2 }), { minLength: 1, maxLength: 200 }), fc.integer({ min: 1, max: 80 }), check));
  });

  it("gives the rare side of a zero-inflated series a spread of 0, not the size of its one blip", () => {
    const b = new RobustBaseline(200, Number.POSITIVE_INFINITY, 1);
    for (let i = 0; i < 150; i += 1) b.add(i, i === 75 ? 0.17 : 0, i === 75 ? 0.17 : 0);
    expect(b.median()).toBe(0);
    expect(b.aboveSpread(0)).toEqual({ spread: 0, count: 75 });
    // A side that is not rare keeps the median of its own distances.
    const c = new RobustBaseline(200, Number.POSITIVE_INFINITY, 1);
    for (let i = 0; i < 100; i += 1) c.add(i, i % 2, i % 2);
    expect(c.aboveSpread(c.median())).toEqual({ spread: 0.5, count: 50 });
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
