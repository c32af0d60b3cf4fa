import { describe, expect, it } from "vitest";
import { AnomalyDetector } from "../../../server/anomaly/detector";
import { CountModel, normalUpperTail, poissonAtLeast, poissonAtMost, zOfUpperTail } from "../../../server/anomaly/count-test";
import { analyzeSeries } from "../../../server/anomaly/monitor";
import { thresholdsFor } from "../../../server/anomaly/sensitivity";
import { defaultWatchedSeries, detectorDefaultsFor } from "../../../server/anomaly/watched-series";
import { HOUR, SEC, T0 } from "./series";

const STEP = 5 * SEC;
const SHARE = 1 / 12; // a 60 s window at 5 s steps

/** A ratio series with its counts: `events(i)` of `trials(i)` in the window ending at step i. */
function ratioSeries(steps: number, trials: (i: number) => number, events: (i: number) => number): Array<[number, number, number, number]> {
  return Array.from({ length: steps }, (_, i) => [T0 + i * STEP, events(i) / trials(i), trials(i), SHARE]);
}

/** Events of a window that covers steps (i − 12, i] of a count per step. */
function windowed(perStep: (i: number) => number): (i: number) => number {
  return (i) => {
    let sum = 0;
    for (let j = Math.max(0, i - 11); j <= i; j += 1) sum += perStep(j);
    return sum;
  };
}

const errorRatio = detectorDefaultsFor({ metric: "controller_runtime_reconcile_errors_total", matchers: [], fn: "ratio", over: { metric: "controller_runtime_reconcile_total" } });

describe("count test", () => {
  it("computes Poisson tails, far ones included", () => {
    expect(poissonAtLeast(3, 0.5)).toBeCloseTo(1 - Math.exp(-0.5) * (1 + 0.5 + 0.125), 10);
    expect(poissonAtMost(2, 10)).toBeCloseTo(Math.exp(-10) * (1 + 10 + 50), 12);
    expect(poissonAtLeast(5, 10)).toBeCloseTo(1 - Math.exp(-10) * (1 + 10 + 50 + 1000 / 6 + 10_000 / 24), 10);
    // Σ_{j≥20} 0.1^j e^−0.1 / j!, to a relative 1e-6 (1 − Q would be 0 here).
    const far = ((0.1 ** 20 * Math.exp(-0.1)) / 2.43290200817664e18) * (1 + 0.1 / 21 + 0.01 / (21 * 22) + 0.001 / (21 * 22 * 23));
    expect(Math.abs(poissonAtLeast(20, 0.1) / far - 1)).toBeLessThan(1e-6);
    expect(poissonAtLeast(0, 3)).toBe(1);
    expect(poissonAtLeast(1, 0)).toBe(0);
  });

  it("turns tail probabilities into normal deviates and back", () => {
    expect(zOfUpperTail(0.025)).toBeCloseTo(1.959964, 4);
    expect(zOfUpperTail(0.5)).toBeCloseTo(0, 6);
    for (const p of [0.3, 1e-3, 5e-6, 1e-12, 1e-40]) expect(Math.abs(normalUpperTail(zOfUpperTail(p)) / p - 1)).toBeLessThan(1e-3);
  });

  it("learns the usual ratio, counting each event of overlapping windows once, from a prior", () => {
    const model = new CountModel(1_000 * HOUR, { ratio: 0.001, trials: 1_000 });
    expect(model.expected()).toBeCloseTo(0.001, 9);
    // 120 steps of 12-step windows of 24 trials with 2 events: 240 trials and 20 events in all.
    for (let i = 0; i < 120; i += 1) model.learn(T0 + i * STEP, 2 / 24, 24, SHARE);
    expect(model.expected()).toBeCloseTo((1 + 20) / (1_000 + 240), 4);
    // With an hour's memory, ten minutes ago counts for less than now.
    const forgetting = new CountModel(HOUR);
    forgetting.learn(T0, 1, 10, 1);
    forgetting.learn(T0 + HOUR, 0, 10, 1);
    expect(forgetting.expected()).toBeLessThan((10 * Math.exp(-1) + 0.5) / (10 * Math.exp(-1) + 10 + 1) + 1e-12);
    const [lower, upper] = model.band(24, 5e-6);
    expect(lower).toBe(0);
    expect(upper).toBeGreaterThan(0);
    expect(upper).toBeLessThanOrEqual(1);
  });
});

describe("a ratio judged by its counts", () => {
  // A quiet controller: 24 reconciles a minute, no failure for an hour and a half, then one or three.
  it("takes one failure on a quiet controller in its stride but opens a window for three in a minute", () => {
    const one = ratioSeries(1_200, () => 24, windowed((i) => (i === 1_100 ? 1 : 0)));
    const a = analyzeSeries(one, { direction: errorRatio.direction }, { params: errorRatio.params });
    expect(a.windows).toEqual([]);
    expect(Math.max(...a.points.map((p) => p.score))).toBeLessThan(0.3);

    const three = ratioSeries(1_200, () => 24, windowed((i) => (i === 1_100 || i === 1_104 || i === 1_108 ? 1 : 0)));
    const b = analyzeSeries(three, { direction: errorRatio.direction }, { params: errorRatio.params });
    expect(b.windows).toHaveLength(1);
    expect(b.windows[0].detectedAt).toBeLessThanOrEqual(T0 + 1_112 * STEP);
    for (const p of b.points) {
      if (p.lower !== null) expect(p.lower).toBeGreaterThanOrEqual(0);
      if (p.upper !== null) expect(p.upper).toBeLessThanOrEqual(1);
    }
  });

  it("opens a window on the first point whose count is news (the next points share its events)", () => {
    const three = ratioSeries(1_200, () => 24, windowed((i) => (i === 1_100 || i === 1_104 || i === 1_108 ? 1 : 0)));
    const a = analyzeSeries(three, { direction: errorRatio.direction }, { params: errorRatio.params });
    const open = thresholdsFor("medium").score;
    const first = a.points.find((p) => p.score >= open);
    expect(first).toBeDefined();
    expect(a.windows).toHaveLength(1);
    expect(a.windows[0].detectedAt).toBe(first?.ts);
    // A series without counts still needs its points to persist: one strong point opens nothing.
    const plain = analyzeSeries(
      Array.from({ length: 400 }, (_, i): [number, number] => [T0 + i * STEP, i === 300 ? 50 : 10 + (i % 3)]),
      { direction: "above" },
    );
    expect(plain.windows).toEqual([]);
  });

  it("counts the failures of the built-in error ratio's window: three in 65 s on a controller of 30 reconciles a minute", () => {
    const spec = defaultWatchedSeries(["configmaps"]).find((s) => s.key === 'error_ratio{controller="configmaps"}');
    const steps = spec?.query.windowSteps ?? 12;
    const trials = (30 * steps * STEP) / 60_000;
    const failures = new Set([1_100, 1_101, 1_113]);
    const perStep = (i: number) => (failures.has(i) ? 1 : 0);
    const events = (i: number) => {
      let sum = 0;
      for (let j = Math.max(0, i - steps + 1); j <= i; j += 1) sum += perStep(j);
      return sum;
    };
    const series = Array.from({ length: 1_200 }, (_, i): [number, number, number, number] => [T0 + i * STEP, events(i) / trials, trials, 1 / steps]);
    const a = analyzeSeries(series, { direction: errorRatio.direction }, { params: errorRatio.params });
    expect(a.windows).toHaveLength(1);
    expect(a.windows[0].detectedAt).toBeGreaterThanOrEqual(T0 + 1_113 * STEP);
    expect(a.windows[0].detectedAt).toBeLessThanOrEqual(T0 + 1_116 * STEP);
  });

  it("does not alarm when a burst of work brings more failures at the usual ratio", () => {
    // 1 in 200 fail; a burst brings ten times the reconciles, and ten times the failures.
    const trials = (i: number) => (i >= 1_000 && i < 1_024 ? 2_400 : 240);
    const perStep = (i: number) => (i >= 1_000 && i < 1_024 ? (i % 2 === 0 ? 1 : 0) : i % 20 === 0 ? 1 : 0);
    const series = ratioSeries(1_200, trials, windowed(perStep));
    const a = analyzeSeries(series, { direction: errorRatio.direction }, { params: errorRatio.params });
    expect(a.windows).toEqual([]);
  });

  it("continues from its stored state exactly as it would have", () => {
    const series = ratioSeries(600, () => 30, windowed((i) => (i % 37 === 0 ? 1 : 0)));
    const whole = new AnomalyDetector(errorRatio.params);
    const first = new AnomalyDetector(errorRatio.params);
    const scores: number[] = [];
    for (const [ts, v, n, share] of series.slice(0, 300)) {
      scores.push(whole.step(ts, v, undefined, { trials: n, share }).score);
      first.step(ts, v, undefined, { trials: n, share });
    }
    const resumed = AnomalyDetector.fromState(JSON.parse(JSON.stringify(first.toState())));
    for (const [ts, v, n, share] of series.slice(300)) {
      expect(resumed.step(ts, v, undefined, { trials: n, share }).score).toBe(whole.step(ts, v, undefined, { trials: n, share }).score);
    }
    expect(scores.length).toBe(300);
  });
});
