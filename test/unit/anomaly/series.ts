import { normalFrom, type Point, seededRandom } from "../../../server/anomaly/synthetic";

/** Shared helpers for the detector tests: seeded noisy series and time arithmetic. */
export const T0 = Date.UTC(2026, 0, 5); // a Monday, 00:00 UTC
export const SEC = 1_000;
export const MIN = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** Points every `intervalMs` for `durationMs`, value = f(ts) + N(0, sigma²) noise. */
export function noisy(opts: { seed: number; intervalMs: number; durationMs: number; sigma: number; start?: number }, f: (ts: number) => number): Point[] {
  const normal = normalFrom(seededRandom(opts.seed));
  const start = opts.start ?? T0;
  const out: Point[] = [];
  for (let ts = start; ts < start + opts.durationMs; ts += opts.intervalMs) out.push([ts, f(ts) + opts.sigma * normal()]);
  return out;
}

/** Minutes since T0, for readable assertions. */
export function minutes(ts: number): number {
  return (ts - T0) / MIN;
}
