import { describe, expect, it } from "vitest";
import { AnomalyDetector } from "../../../server/anomaly/detector";
import { analyzeSeries, SeriesMonitor } from "../../../server/anomaly/monitor";
import { detectorDefaultsFor } from "../../../server/anomaly/watched-series";
import { normalFrom, type Point, poissonFrom, seededRandom, smooth } from "../../../server/anomaly/synthetic";
import { DAY, HOUR, MIN, minutes, noisy, SEC, T0 } from "./series";

const at = (m: number) => T0 + m * MIN;

function windowsOf(points: Point[], ...args: Parameters<typeof analyzeSeries> extends [unknown, ...infer R] ? R : never) {
  return analyzeSeries(points, ...args).windows;
}

describe("anomaly detector on synthetic series", () => {
  it("stays quiet on a perfectly flat series and on one with tiny noise", () => {
    const flat = noisy({ seed: 1, intervalMs: 5 * SEC, durationMs: 6 * HOUR, sigma: 0 }, () => 100);
    const tiny = noisy({ seed: 2, intervalMs: 5 * SEC, durationMs: 6 * HOUR, sigma: 1e-4 }, () => 100);
    const zeros = noisy({ seed: 3, intervalMs: 5 * SEC, durationMs: 6 * HOUR, sigma: 0 }, () => 0);
    const counts = noisy({ seed: 4, intervalMs: 5 * SEC, durationMs: 6 * HOUR, sigma: 0 }, (ts) => (ts % (7 * MIN) < 5 * SEC ? 5 : 4));
    for (const series of [flat, tiny, zeros, counts]) expect(windowsOf(series)).toEqual([]);
  });

  it("flags a real change on a flat series", () => {
    const series = noisy({ seed: 5, intervalMs: 5 * SEC, durationMs: 3 * HOUR, sigma: 0 }, (ts) => (ts >= at(90) && ts < at(100) ? 130 : 100));
    const windows = windowsOf(series);
    expect(windows).toHaveLength(1);
    expect(minutes(windows[0].start)).toBeCloseTo(90, 5);
    expect(windows[0].direction).toBe("above");
  });

  it("ignores isolated spikes but opens a window for a sustained one", () => {
    const spikes = new Set([200, 500, 900, 1300, 1700]);
    const series = noisy({ seed: 6, intervalMs: 5 * SEC, durationMs: 3 * HOUR, sigma: 2 }, () => 50).map(([ts, v], i): Point => [ts, spikes.has(i) ? v * 10 : v]);
    expect(windowsOf(series)).toEqual([]);
    const burst = series.map(([ts, v]): Point => [ts, ts >= at(120) && ts < at(122) ? v + 40 : v]);
    const windows = windowsOf(burst);
    expect(windows).toHaveLength(1);
    expect(minutes(windows[0].start)).toBeCloseTo(120, 5);
    expect(windows[0].detectedAt - windows[0].start).toBeLessThanOrEqual(15 * SEC);
    expect(minutes(windows[0].end!)).toBeGreaterThanOrEqual(121.9);
    expect(minutes(windows[0].end!)).toBeLessThanOrEqual(122);
  });

  it("adapts to a permanent level shift: one window, then quiet", () => {
    const series = noisy({ seed: 7, intervalMs: 5 * SEC, durationMs: 5 * HOUR, sigma: 2 }, (ts) => (ts >= at(120) ? 80 : 50));
    const windows = windowsOf(series);
    expect(windows).toHaveLength(1);
    expect(minutes(windows[0].start)).toBeCloseTo(120, 5);
    // Accepted as the new normal after 10 minutes, closed after the cool-down.
    expect(minutes(windows[0].end!)).toBeGreaterThan(128);
    expect(minutes(windows[0].end!)).toBeLessThan(135);
  });

  it("does not alarm when a long-lasting shift returns to the previous level", () => {
    const series = noisy({ seed: 8, intervalMs: 5 * SEC, durationMs: 5 * HOUR, sigma: 2 }, (ts) => (ts >= at(120) && ts < at(150) ? 80 : 50));
    const windows = windowsOf(series);
    expect(windows).toHaveLength(1);
    expect(windows[0].direction).toBe("above");
    expect(minutes(windows[0].start)).toBeCloseTo(120, 5);
  });

  it("follows a gentle trend without alarms", () => {
    const series = noisy({ seed: 9, intervalMs: 5 * SEC, durationMs: 8 * HOUR, sigma: 3 }, (ts) => 100 + (50 * (ts - T0)) / (8 * HOUR));
    expect(windowsOf(series)).toEqual([]);
  });

  it("detects a steady leak (fast growth) within minutes", () => {
    const series = noisy({ seed: 10, intervalMs: 5 * SEC, durationMs: 4 * HOUR, sigma: 2 }, (ts) => 40 + (ts >= at(120) ? (ts - at(120)) / (10 * SEC) : 0)).map(
      ([ts, v]): Point => [ts, Math.round(v)],
    );
    const windows = windowsOf(series);
    expect(windows.length).toBeGreaterThanOrEqual(1);
    expect(minutes(windows[0].start)).toBeGreaterThanOrEqual(120);
    expect(minutes(windows[0].detectedAt)).toBeLessThan(125);
  });

  it("learns a daily pattern after three days: windows only before it is learned, and a real anomaly still found", () => {
    // A strong business-hours shape (ramps of 3× over an hour) that a one-hour baseline cannot follow.
    const shape = (ts: number) => {
      const h = ((ts - T0) % DAY) / HOUR;
      const up = Math.min(1, Math.max(0, h - 8)) - Math.min(1, Math.max(0, h - 18));
      return 100 + 200 * up;
    };
    const injected = T0 + 5 * DAY + 13 * HOUR;
    const base = noisy({ seed: 11, intervalMs: MIN, durationMs: 7 * DAY, sigma: 4 }, shape);
    const series = base.map(([ts, v]): Point => [ts, ts >= injected && ts < injected + 20 * MIN ? v + 80 : v]);

    const seasonal = windowsOf(series);
    const afterLearning = seasonal.filter((w) => w.start >= T0 + 3 * DAY + HOUR);
    expect(afterLearning).toHaveLength(1);
    expect(afterLearning[0].start).toBe(injected);
    expect(afterLearning[0].params.seasonality).toBe("daily");
    expect(seasonal.filter((w) => w.start < T0 + 3 * DAY).length).toBeGreaterThan(0);

    // Without the profile the ramps keep alarming every day.
    const plain = windowsOf(series, {}, { params: { seasonality: false } });
    expect(plain.filter((w) => w.start >= T0 + 3 * DAY + HOUR && w.start !== injected).length).toBeGreaterThanOrEqual(4);
  });

  it("learns a weekly pattern (quiet weekends) on top of the daily one after three weeks", () => {
    const series = noisy({ seed: 21, intervalMs: 10 * MIN, durationMs: 35 * DAY, sigma: 3 }, (ts) => {
      const day = Math.floor((ts - T0) / DAY) % 7; // T0 is a Monday
      const h = ((ts - T0) % DAY) / HOUR;
      const up = Math.min(1, Math.max(0, h - 8)) - Math.min(1, Math.max(0, h - 18));
      return day >= 5 ? 40 : 100 + 100 * up;
    });
    const seasonal = windowsOf(series);
    expect(seasonal.filter((w) => w.start < T0 + 21 * DAY).length).toBeGreaterThan(0);
    expect(seasonal.filter((w) => w.start >= T0 + 21 * DAY)).toEqual([]);
    const plain = windowsOf(series, {}, { params: { seasonality: false } });
    expect(plain.filter((w) => w.start >= T0 + 21 * DAY).length).toBeGreaterThanOrEqual(10);
    const detector = new AnomalyDetector();
    for (const [ts, v] of series) detector.step(ts, v);
    expect(detector.seasonality).toBe("daily+weekly");
  });

  it("relearns after a long gap, so a restart at another level or a reset spike does not alarm", () => {
    const before = noisy({ seed: 12, intervalMs: 5 * SEC, durationMs: 2 * HOUR, sigma: 2 }, () => 50);
    const after = noisy({ seed: 13, intervalMs: 5 * SEC, durationMs: 2 * HOUR, sigma: 2, start: T0 + 3 * HOUR }, () => 120);
    after[0] = [after[0][0], 1e6]; // a counter reset read as a rate
    expect(windowsOf([...before, ...after])).toEqual([]);
  });

  it("treats a long run of missing values (NaN) like a gap", () => {
    const before = noisy({ seed: 22, intervalMs: 5 * SEC, durationMs: 2 * HOUR, sigma: 2 }, () => 50);
    const missing = noisy({ seed: 23, intervalMs: 5 * SEC, durationMs: HOUR, sigma: 0, start: T0 + 2 * HOUR }, () => Number.NaN);
    const after = noisy({ seed: 24, intervalMs: 5 * SEC, durationMs: HOUR, sigma: 2, start: T0 + 3 * HOUR }, () => 120);
    const { points, windows } = analyzeSeries([...before, ...missing, ...after]);
    expect(windows).toEqual([]);
    expect(points.slice(before.length, before.length + missing.length).every((p) => p.score === 0 && p.expected === null)).toBe(true);
  });

  it("keeps its baseline across a short gap", () => {
    const before = noisy({ seed: 14, intervalMs: 5 * SEC, durationMs: 2 * HOUR, sigma: 2 }, () => 50);
    const after = noisy({ seed: 15, intervalMs: 5 * SEC, durationMs: HOUR, sigma: 2, start: T0 + 2 * HOUR + 5 * MIN }, () => 90);
    const windows = windowsOf([...before, ...after]);
    expect(windows).toHaveLength(1);
    expect(windows[0].start).toBe(after[0][0]);
  });

  it("stays quiet on a sparse error rate and catches an error storm", () => {
    const random = seededRandom(16);
    const poisson = poissonFrom(random);
    const raw = Array.from({ length: 6 * 720 }, (_, i) => {
      const storm = i >= 3 * 720 && i < 3 * 720 + 24;
      return poisson((storm ? 2 : 0.02) * 5) / 5;
    });
    const series = smooth(raw, 6).map((v, i): Point => [T0 + i * 5 * SEC, v]);
    const windows = windowsOf(series, { direction: "above" }, { params: { absoluteFloor: 0.05 } });
    expect(windows).toHaveLength(1);
    expect(minutes(windows[0].start)).toBeGreaterThanOrEqual(180);
    expect(minutes(windows[0].start)).toBeLessThanOrEqual(181);
  });

  it("catches an error storm on a rate that was zero but for one earlier blip", () => {
    // A rate is fractional by nature: its zeros are not a count, so no whole-number floor applies,
    // and one learned blip must not widen the band to hide a sustained storm.
    const series = Array.from({ length: 360 }, (_, i): Point => {
      const v = i === 100 ? 0.17 : i >= 240 && i < 256 ? 0.25 + 0.02 * (i - 240) : 0;
      return [T0 + i * 5 * SEC, v];
    });
    const params = detectorDefaultsFor({ metric: "controller_runtime_reconcile_errors_total", matchers: [], fn: "rate" });
    const windows = windowsOf(series, { direction: params.direction }, { params: params.params });
    expect(windows).toHaveLength(1);
    expect(windows[0].start).toBe(T0 + 240 * 5 * SEC);
    expect(windows[0].detectedAt - windows[0].start).toBeLessThanOrEqual(15 * SEC);
  });

  it("learns an excursion that recurs on a schedule (a resync every 5 min), but not a larger or an off-schedule one", () => {
    // 55 s at 1 s instead of 0.05 s, every 5 minutes from minute 30 (an informer resync).
    const resync = (ts: number) => ts >= at(30) && (ts - at(30)) % (5 * MIN) < 55 * SEC;
    const latency = (ts: number) => (resync(ts) ? (ts >= at(80) && ts < at(81) ? 3 : 1) : 0.05);
    const series = noisy({ seed: 31, intervalMs: 5 * SEC, durationMs: 2 * HOUR, sigma: 0.002 }, (ts) => latency(ts) + (ts >= at(97) && ts < at(99) ? 0.5 : 0));
    const starts = windowsOf(series, { direction: "above" }).map((w) => minutes(w.start));
    // The first two occurrences are anomalies; later ones are expected, except the one three
    // times as large (at 80 min) and the excursion off the schedule (at 97 min).
    expect(starts).toEqual([30, 35, 80, 97]);
  });

  it("reports only the directions asked for", () => {
    const series = noisy({ seed: 17, intervalMs: 5 * SEC, durationMs: 3 * HOUR, sigma: 2 }, (ts) => (ts >= at(100) && ts < at(105) ? 20 : 50));
    expect(windowsOf(series, { direction: "both" }).map((w) => w.direction)).toEqual(["below"]);
    expect(windowsOf(series, { direction: "above" })).toEqual([]);
  });

  it("maps sensitivity to how large a deviation must be", () => {
    // 2.5 σ for 5 minutes (60 points): high and medium sensitivity call it (its mean is
    // far out of what the series' 12-point means do), low does not.
    const series = noisy({ seed: 18, intervalMs: 5 * SEC, durationMs: 3 * HOUR, sigma: 2 }, (ts) => (ts >= at(100) && ts < at(105) ? 55 : 50));
    expect(windowsOf(series, { sensitivity: "high" }).length).toBeGreaterThanOrEqual(1);
    expect(windowsOf(series, { sensitivity: "medium" }).length).toBeGreaterThanOrEqual(1);
    expect(windowsOf(series, { sensitivity: "low" })).toEqual([]);
  });

  it("gives every point a score in [0, 1] and a band around the expected value", () => {
    const series = noisy({ seed: 19, intervalMs: 5 * SEC, durationMs: 2 * HOUR, sigma: 2 }, (ts) => (ts >= at(60) && ts < at(62) ? 500 : 50));
    const { points } = analyzeSeries(series);
    expect(points).toHaveLength(series.length);
    for (const p of points) {
      expect(p.score).toBeGreaterThanOrEqual(0);
      expect(p.score).toBeLessThanOrEqual(1);
      if (p.expected !== null) {
        expect(p.lower!).toBeLessThanOrEqual(p.expected);
        expect(p.upper!).toBeGreaterThanOrEqual(p.expected);
      }
    }
    expect(points[0].expected).toBeNull();
    const inSpike = points.find((p) => p.ts === at(61))!;
    expect(inSpike.score).toBeGreaterThan(0.99);
    expect(inSpike.value).toBeGreaterThan(inSpike.upper!);
    expect(inSpike.expected!).toBeGreaterThan(45);
    expect(inSpike.expected!).toBeLessThan(55);
  });

  it("refuses timestamps that do not increase and treats non-finite values as missing", () => {
    const d = new AnomalyDetector();
    d.step(1_000, 1);
    expect(() => d.step(1_000, 2)).toThrow(/must increase/);
    expect(d.step(2_000, Number.NaN)).toMatchObject({ score: 0, expected: null });
  });
});

describe("detector state", () => {
  it("resumes exactly where it stopped after a JSON round trip (with seasonality active)", () => {
    const normal = normalFrom(seededRandom(20));
    const points: Point[] = [];
    for (let i = 0; i < 5 * 1440; i += 1) {
      const ts = T0 + i * MIN;
      const h = (i % 1440) / 60;
      const anomaly = i % 1000 > 980 ? 60 : 0;
      points.push([ts, 100 + 40 * Math.sin((2 * Math.PI * h) / 24) + anomaly + 3 * normal()]);
    }
    const split = 4 * 1440 + 17;
    const reference = new SeriesMonitor("s");
    const referenceOut = points.map(([ts, v]) => reference.step(ts, v));

    const first = new SeriesMonitor("s");
    for (const [ts, v] of points.slice(0, split)) first.step(ts, v);
    const stored = JSON.parse(JSON.stringify(first.toState()));
    expect(stored.detector.seasonal.daily.visits.some((v: number[]) => v.length >= 3)).toBe(true);
    const resumed = SeriesMonitor.fromState("s", stored);
    const resumedOut = points.slice(split).map(([ts, v]) => resumed.step(ts, v));

    expect(resumedOut).toEqual(referenceOut.slice(split));
    expect(resumedOut.some((o) => o.events.length > 0)).toBe(true);
    expect(resumed.toState()).toEqual(reference.toState());
    expect(analyzeSeries(points).points).toEqual(referenceOut.map((o) => o.point));
  });

  it("refuses a malformed state with a reason", () => {
    expect(() => AnomalyDetector.fromState({ version: 1 })).toThrow(/invalid detector state: params/);
    const d = new AnomalyDetector();
    const state = d.toState();
    expect(() => AnomalyDetector.fromState({ ...state, baseline: { t0: 1, dt: [], values: [1, 2] } })).toThrow(/baseline/);
  });
});
