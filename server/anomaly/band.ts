import type { DetectorOptions, DetectorParams } from "./detector";
import { analyzeSeries } from "./monitor";

/** One point of a chart's "expected range" overlay. */
export interface BandPoint {
  ts: number;
  value: number;
  /** Null while the detector was still learning (no band yet). */
  expected: number | null;
  lower: number | null;
  upper: number | null;
  score: number;
}

/**
 * The expected band over a range, recomputed by replaying the detector over the
 * points (oldest first, strictly increasing timestamps). Pass some history before the
 * range of interest so the baseline is learned by the time the range starts.
 */
export function bandFor(
  points: Iterable<readonly [number, number] | readonly [number, number, number, number]>,
  options: Partial<DetectorOptions> = {},
  params: Partial<DetectorParams> = {},
): BandPoint[] {
  return analyzeSeries(points, options, { params }).points.map((p) => ({
    ts: p.ts,
    value: p.value,
    expected: p.expected,
    lower: p.lower,
    upper: p.upper,
    score: p.score,
  }));
}
