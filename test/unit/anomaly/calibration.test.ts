import { describe, expect, it } from "vitest";
import { backtestRows } from "../../../server/anomaly/backtest";
import { analyzeSeries } from "../../../server/anomaly/monitor";
import { normalFrom, poissonFrom, seededRandom } from "../../../server/anomaly/synthetic";
import { defaultWatchedSeries } from "../../../server/anomaly/watched-series";
import { SEC, T0 } from "./series";

const N = 6_000;
const rows = (f: (i: number) => number) => Array.from({ length: N }, (_, i) => ({ ts: T0 + i * 10 * SEC, value: f(i) }));

describe("scores comparable across series (one global threshold)", () => {
  it("keeps ordinary noise of very different shapes under 0.5, and scores the same incident high on each", () => {
    const g = normalFrom(seededRandom(1));
    const p = poissonFrom(seededRandom(2));
    const r = seededRandom(3);
    const shapes: Record<string, (i: number) => number> = {
      gaussian: () => 100 + 5 * g(),
      heavyTailed: () => 0.05 * Math.exp(0.6 * g()) * (r() < 0.01 ? 10 : 1),
      counts: () => p(2),
      tinyScale: () => 1e-6 * (1 + 0.01 * g()),
    };
    for (const [name, f] of Object.entries(shapes)) {
      const quiet = backtestRows(rows(f));
      const flagged = quiet.scores.slice(500).filter((s) => s >= 0.5).length;
      expect(flagged, name).toBeLessThanOrEqual(2);
      // The same incident: the level multiplied by 6 for 20 points.
      const incident = backtestRows(rows((i) => (i >= 5_000 && i < 5_020 ? 6 * Math.max(f(i), 1e-9) + 1e-7 : f(i))));
      expect(Math.max(...incident.liveScores.slice(5_000, 5_020)), name).toBeGreaterThanOrEqual(0.5);
    }
  });
});

describe("bands respect the quantity", () => {
  it("never puts the band of a built-in series below zero, even for a depth that sits near zero and spikes", () => {
    const r = seededRandom(4);
    const points = Array.from({ length: 3_000 }, (_, i): [number, number] => [T0 + i * 5 * SEC, r() < 0.05 ? 400 : r() < 0.5 ? 1 : 0]);
    for (const spec of defaultWatchedSeries(["pods"])) {
      const { points: scored } = analyzeSeries(points, { direction: spec.direction }, { params: spec.params });
      for (const p of scored) if (p.lower !== null) expect(p.lower, spec.key).toBeGreaterThanOrEqual(0);
    }
  });

  it("keeps a ratio's band within [0, 1]", () => {
    const g = normalFrom(seededRandom(5));
    const points = Array.from({ length: 2_000 }, (_, i): [number, number] => [T0 + i * 5 * SEC, Math.min(1, Math.max(0, 0.97 + 0.05 * g()))]);
    const { points: scored } = analyzeSeries(points, {}, { params: { domain: "unit" } });
    for (const p of scored) if (p.upper !== null) expect(p.upper).toBeLessThanOrEqual(1);
  });
});

describe("backtest of a file with repeated and out-of-order rows", () => {
  it("keeps the last value of a repeated timestamp and skips a row back in time, counting both", () => {
    const base = rows((i) => 10 + (i % 5));
    const file = [...base.slice(0, 100), { ts: base[99].ts, value: 99 }, { ts: base[50].ts, value: 7 }, ...base.slice(100, 300)];
    const result = backtestRows(file);
    expect(result).toMatchObject({ repeated: 1, outOfOrder: 1 });
    expect(result.scores).toHaveLength(file.length);
    expect(result.scores[101]).toBe(0);
    // As if the file had held only the last value at that timestamp.
    const clean = backtestRows([...base.slice(0, 99), { ts: base[99].ts, value: 99 }, ...base.slice(100, 300)]);
    expect(result.scores.slice(102)).toEqual(clean.scores.slice(100));
    expect(result.scores[100]).toBe(clean.scores[99]);
  });
});

describe("counters", () => {
  it("scores a raw cumulative counter by its increase: resets (restarts) are quiet, a burst of increase is not", () => {
    const p = poissonFrom(seededRandom(6));
    let total = 0;
    const counter = rows((i) => {
      if (i === 2_000 || i === 4_000) total = 0;
      total += i >= 5_000 && i < 5_020 ? p(30) : p(5);
      return total;
    });
    const { windows } = analyzeSeries(counter.map((r) => [r.ts, r.value] as [number, number]));
    expect(windows.map((w) => (w.start - T0) / (10 * SEC))).toEqual([5_000]);
  });
});
