/** Deterministic synthetic data for the component gallery (seeded PRNG, fixed clock). */
import type { AlertAnnotationView, AnomalyWindowView, BandPoint, SeriesPoint } from "../../../components/charts/types";
import { seededRandom } from "../../../server/anomaly/synthetic";

/** The gallery's fixed "now": 2025-01-15 12:00:00 UTC. */
export const GALLERY_NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
export const GALLERY_RANGE = { from: GALLERY_NOW - 3_600_000, to: GALLERY_NOW };

const STEP = 15_000;

function times(offset = 0, step = STEP): number[] {
  const out: number[] = [];
  for (let t = GALLERY_RANGE.from + offset; t <= GALLERY_RANGE.to; t += step) out.push(t);
  return out;
}

/** A wavy baseline with noise and a burst between 35 and 45 minutes in. */
export function queueDepth(): { points: SeriesPoint[]; band: BandPoint[] } {
  const rnd = seededRandom(7);
  const points: SeriesPoint[] = [];
  const band: BandPoint[] = [];
  for (const t of times()) {
    const minute = (t - GALLERY_RANGE.from) / 60_000;
    const base = 12 + 4 * Math.sin(minute / 6);
    const burst = minute > 35 && minute < 45 ? 30 * Math.sin(((minute - 35) / 10) * Math.PI) : 0;
    const tail = minute > 54 ? (minute - 54) * 6 : 0;
    points.push([t, Math.max(0, Math.round(base + burst + tail + (rnd() - 0.5) * 4))]);
    band.push([t, Math.max(0, base - 5), base + 5]);
  }
  return { points, band };
}

/** p50 and p99 reconcile durations (seconds); p99 is sampled at other instants to exercise alignment. */
export function durations(): { p50: SeriesPoint[]; p99: SeriesPoint[]; band: BandPoint[] } {
  const rnd = seededRandom(11);
  const p50: SeriesPoint[] = times().map((t) => [t, 0.004 + rnd() * 0.002]);
  const band: BandPoint[] = times(0, 60_000).map((t) => [t, 0.01, 0.06]);
  const p99: SeriesPoint[] = times(7_000, 20_000).map((t) => {
    const minute = (t - GALLERY_RANGE.from) / 60_000;
    return [t, minute > 20 && minute < 28 ? 0.4 + rnd() * 0.3 : 0.02 + rnd() * 0.03];
  });
  return { p50, p99, band };
}

export function results(): { success: SeriesPoint[]; requeue: SeriesPoint[]; error: SeriesPoint[] } {
  const rnd = seededRandom(3);
  const ts = times();
  return {
    success: ts.map((t) => [t, 40 + rnd() * 10]),
    requeue: ts.map((t) => [t, 4 + rnd() * 3]),
    error: ts.map((t) => {
      const minute = (t - GALLERY_RANGE.from) / 60_000;
      return [t, minute > 20 && minute < 30 ? 8 + rnd() * 6 : rnd() * 0.6];
    }),
  };
}

export function workers(): SeriesPoint[] {
  const rnd = seededRandom(5);
  return times().map((t) => {
    const minute = (t - GALLERY_RANGE.from) / 60_000;
    return [t, minute > 35 && minute < 46 ? 5 : Math.floor(rnd() * 4)];
  });
}

/** Heap bytes with a scrape outage (no samples) between 40 and 48 minutes. */
export function heapBytes(): SeriesPoint[] {
  return times()
    .filter((t) => {
      const minute = (t - GALLERY_RANGE.from) / 60_000;
      return minute < 40 || minute > 48;
    })
    .map((t) => [t, 48 * 1024 * 1024 + (t - GALLERY_RANGE.from) * 2.5]);
}

export const ANOMALIES: AnomalyWindowView[] = [
  { start: GALLERY_RANGE.from + 36 * 60_000, end: GALLERY_RANGE.from + 44 * 60_000, peakScore: 0.93, direction: "above" },
  { start: GALLERY_RANGE.from + 55 * 60_000, end: null, peakScore: 0.71, direction: "above" },
];

export const DURATION_ANOMALIES: AnomalyWindowView[] = [
  { start: GALLERY_RANGE.from + 20 * 60_000, end: GALLERY_RANGE.from + 28 * 60_000, peakScore: 0.97, direction: "above" },
];

export const ANNOTATIONS: AlertAnnotationView[] = [
  { start: GALLERY_RANGE.from + 38 * 60_000, end: GALLERY_RANGE.from + 47 * 60_000, label: "QueueDepthHigh", state: "firing" },
  { start: GALLERY_RANGE.from + 57 * 60_000, end: null, label: "QueueDepthHigh", state: "pending" },
];

/** A small series for sparklines. */
export function spark(seed: number, scale: number, trend = 0): SeriesPoint[] {
  const rnd = seededRandom(seed);
  return times(0, 60_000).map((t, i) => [t, Math.max(0, scale * (0.6 + rnd() * 0.5) + trend * i)]);
}
