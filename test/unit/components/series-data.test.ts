import { describe, expect, it } from "vitest";
import { buildChartRows, byteTicks, clipToRange, eventsAt, isEmptySeries, nearestIndex, slugify } from "../../../components/charts/series-data";
import { sparklineGeometry } from "../../../components/charts/sparkline-path";

describe("buildChartRows", () => {
  it("merges series on the union of timestamps and marks interpolated cells", () => {
    const rows = buildChartRows([
      { name: "a", points: [[0, 0], [10, 10], [20, 20]] },
      { name: "b", points: [[5, 1], [15, 3]] },
    ]);
    expect(rows.map((r) => r.t)).toEqual([0, 5, 10, 15, 20]);
    const at10 = rows.find((r) => r.t === 10)!;
    expect(at10.s0).toBe(10);
    expect(at10.s1).toBe(2);
    expect(at10.i1).toBe(true);
    expect(at10.i0).toBeUndefined();
    // Outside b's own span nothing is invented.
    expect(rows.find((r) => r.t === 0)!.s1).toBeUndefined();
    expect(rows.find((r) => r.t === 20)!.s1).toBeUndefined();
  });

  it("breaks a line at a gap instead of bridging it", () => {
    const points: [number, number][] = [[0, 1], [10, 1], [20, 1], [30, 1], [100, 1], [110, 1]];
    const rows = buildChartRows([{ name: "a", points }]);
    const gapRow = rows.find((r) => r.t > 30 && r.t < 100);
    expect(gapRow).toBeDefined();
    expect(gapRow!.s0).toBeUndefined();
  });

  it("keeps explicit nulls and non-finite values as gaps", () => {
    const rows = buildChartRows([{ name: "a", points: [[0, 1], [10, null], [20, Number.NaN], [30, 2]] }]);
    expect(rows.find((r) => r.t === 10)!.s0).toBeNull();
    expect(rows.find((r) => r.t === 20)!.s0).toBeNull();
  });

  it("draws the band at the series' timestamps, without rows of its own", () => {
    const rows = buildChartRows([{ name: "a", points: [[0, 5], [10, 6], [20, 7]] }], { points: [[0, 1, 9], [5, 1, 9], [15, 3, 11], [20, 3, 11]] });
    expect(rows.map((r) => r.t)).toEqual([0, 10, 20]);
    expect(rows[1].band).toEqual([2, 10]);
    // With no series to draw, the band keeps its own timestamps.
    expect(buildChartRows([{ name: "a", points: [] }], { points: [[0, 1, 9], [5, 1, 9]] }).map((r) => r.t)).toEqual([0, 5]);
  });

  it("aligns the band as a [lower, upper] pair", () => {
    const rows = buildChartRows([{ name: "a", points: [[0, 5], [5, 6], [10, 7]] }], { points: [[0, 1, 9], [10, 3, 11]] });
    expect(rows.find((r) => r.t === 5)!.band).toEqual([2, 10]);
    expect(rows.find((r) => r.t === 0)!.band).toEqual([1, 9]);
  });

  it("detects empty input", () => {
    expect(isEmptySeries([])).toBe(true);
    expect(isEmptySeries([{ name: "a", points: [[0, null]] }])).toBe(true);
    expect(isEmptySeries([{ name: "a", points: [[0, 0]] }])).toBe(false);
  });
});

describe("windows and helpers", () => {
  const range = { from: 100, to: 200 };
  it("clips windows to the range and extends open ones to the right edge", () => {
    expect(clipToRange(50, 150, range)).toEqual([100, 150]);
    expect(clipToRange(150, null, range)).toEqual([150, 200]);
    expect(clipToRange(10, 90, range)).toBeNull();
    expect(clipToRange(120, 120, range)).toBeNull();
  });

  it("finds the events covering a time", () => {
    const found = eventsAt(160, range, [{ start: 150, end: null, peakScore: 0.9, direction: "above" }], [{ start: 100, end: 140, label: "x", state: "firing" }]);
    expect(found.windows).toHaveLength(1);
    expect(found.annotations).toHaveLength(0);
  });

  it("slugifies titles and finds the nearest tick", () => {
    expect(slugify("Queue wait p50/p99")).toBe("queue-wait-p50-p99");
    expect(nearestIndex([0, 10, 20, 30], 17)).toBe(2);
  });
});

describe("sparklineGeometry", () => {
  it("scales into the box and restarts the path after a gap", () => {
    const g = sparklineGeometry([[0, 0], [10, 10], [20, null], [30, 5]], 100, 20);
    expect(g.line.match(/M/g)).toHaveLength(2);
    expect(g.last).toEqual({ x: 99, y: 10 });
    for (const n of g.line.match(/-?\d+(\.\d+)?/g)!.map(Number)) {
      expect(n).toBeGreaterThanOrEqual(0);
      expect(n).toBeLessThanOrEqual(100);
    }
  });

  it("draws nothing for no data", () => {
    expect(sparklineGeometry([], 100, 20)).toEqual({ line: "", area: "", last: null });
  });
});

describe("byteTicks", () => {
  it("steps on binary units", () => {
    const MiB = 1024 * 1024;
    const ticks = byteTicks(57 * MiB);
    expect(ticks[0]).toBe(0);
    expect(ticks[ticks.length - 1]).toBeGreaterThanOrEqual(57 * MiB);
    for (const t of ticks) expect((t / MiB) % 1).toBe(0);
    expect(byteTicks(0)).toEqual([]);
  });
});
