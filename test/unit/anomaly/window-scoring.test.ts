import { describe, expect, it } from "vitest";
import { bestThreshold, corpusWindowScore, eventQuality, type ScoredSeries, scaledSigmoid, windowScore, windowsOf } from "../../../server/anomaly/window-scoring";

const MIN = 60_000;
/** 1,000 one-minute points with one labelled anomaly at point 600; `hits` are the indices scoring 1. */
function series(hits: number[]): ScoredSeries {
  const ts = Array.from({ length: 1_000 }, (_, i) => i * MIN);
  const scores = ts.map((_, i) => (hits.includes(i) ? 1 : 0));
  return { name: "s", ts, scores, anomalies: [{ start: 600 * MIN, end: 605 * MIN }] };
}

describe("NAB-style window scoring (from its published description)", () => {
  it("centres a window of 10 % of the series on each anomaly", () => {
    const [w] = windowsOf(series([]));
    expect((w.end - w.start) / MIN).toBeCloseTo(99.9, 1);
    expect(w.start / MIN).toBeCloseTo(600 - 49.95, 1);
  });

  it("scores 0 for no detections, ~100 for a detection at the window's start, less for a late one", () => {
    expect(corpusWindowScore([series([])], 0.5)).toBe(0);
    expect(corpusWindowScore([series([551])], 0.5)).toBeGreaterThan(99);
    const late = corpusWindowScore([series([640])], 0.5);
    expect(late).toBeGreaterThan(50);
    expect(late).toBeLessThan(corpusWindowScore([series([600])], 0.5));
    expect(scaledSigmoid(0)).toBeCloseTo(0, 10);
    expect(scaledSigmoid(-1)).toBeCloseTo(0.9866, 3);
  });

  it("counts only the first detection in a window and charges 0.11 for each point outside", () => {
    const one = windowScore(series([600]), 0.5);
    const many = windowScore(series([600, 601, 602]), 0.5);
    expect(many.raw).toBeCloseTo(one.raw, 10);
    const withFalse = windowScore(series([300, 600]), 0.5);
    expect(one.raw - withFalse.raw).toBeCloseTo(0.11, 10);
    // Detections in the probationary 15 % are ignored.
    expect(windowScore(series([100, 600]), 0.5).raw).toBeCloseTo(one.raw, 10);
  });

  it("picks one corpus-wide threshold, and event-level precision/recall/TTD at it", () => {
    const a = series([600]);
    const b: ScoredSeries = { ...series([]), scores: series([]).scores.map((_, i) => (i === 300 ? 0.6 : i === 603 ? 0.9 : 0)) };
    const best = bestThreshold([a, b]);
    expect(best.threshold).toBeGreaterThan(0.6);
    const q = eventQuality([a, b], best.threshold, () => 10_000, () => 3 * MIN);
    expect(q).toMatchObject({ precision: 1, recall: 1, events: 2, anomalies: 2 });
    expect(q.medianTimeToDetectS).toBe(180);
  });
});
