import type { MinMaxBucket } from "./buckets";

/** A chart point: [epoch ms, value]. */
export type Point = [number, number];

/**
 * Points of min/max buckets in time order: each bucket's lowest and highest sample at
 * their own timestamps (one point when they coincide). Every extreme survives, so a
 * one-sample spike (up or down) is always drawn.
 */
export function minMaxPoints(buckets: readonly (MinMaxBucket | undefined)[]): Point[] {
  const points: Point[] = [];
  for (const b of buckets) {
    if (!b) continue;
    if (b.minT === b.maxT) points.push([b.minT, b.minV]);
    else if (b.minT < b.maxT) points.push([b.minT, b.minV], [b.maxT, b.maxV]);
    else points.push([b.maxT, b.maxV], [b.minT, b.minV]);
  }
  return points;
}

/**
 * Reduces points (sorted by time) to at most maxPoints by keeping, in each of
 * maxPoints/2 equal-count groups, the lowest and the highest point. Peaks and dips
 * are kept exactly; only points between them are dropped.
 */
export function minMaxDownsample(points: readonly Point[], maxPoints: number): Point[] {
  if (points.length <= maxPoints) return points.slice();
  const groups = Math.max(1, Math.floor(maxPoints / 2));
  const out: Point[] = [];
  for (let g = 0; g < groups; g += 1) {
    const from = Math.floor((g * points.length) / groups);
    const to = Math.floor(((g + 1) * points.length) / groups);
    if (to <= from) continue;
    let lo = from;
    let hi = from;
    for (let i = from + 1; i < to; i += 1) {
      if (points[i][1] < points[lo][1]) lo = i;
      if (points[i][1] > points[hi][1]) hi = i;
    }
    if (lo === hi) out.push(points[lo]);
    else if (lo < hi) out.push(points[lo], points[hi]);
    else out.push(points[hi], points[lo]);
  }
  return out;
}

/**
 * Largest-Triangle-Three-Buckets (Steinarsson 2013): keeps the first and last point
 * and, in each of maxPoints−2 buckets, the point forming the largest triangle with
 * the previously kept point and the next bucket's average. Keeps the visual shape;
 * an isolated spike forms a large triangle and is kept, but two extremes in the same
 * bucket keep only one (min/max downsampling keeps both).
 */
export function lttb(points: readonly Point[], maxPoints: number): Point[] {
  const n = points.length;
  if (n <= maxPoints) return points.slice();
  if (maxPoints < 3) return [points[0], points[n - 1]].slice(0, Math.max(0, maxPoints));
  const out: Point[] = [points[0]];
  const every = (n - 2) / (maxPoints - 2);
  let a = 0;
  for (let i = 0; i < maxPoints - 2; i += 1) {
    const nextFrom = Math.floor((i + 1) * every) + 1;
    const nextTo = Math.min(Math.floor((i + 2) * every) + 1, n);
    let avgT = 0;
    let avgV = 0;
    for (let k = nextFrom; k < nextTo; k += 1) {
      avgT += points[k][0];
      avgV += points[k][1];
    }
    const span = Math.max(1, nextTo - nextFrom);
    avgT /= span;
    avgV /= span;
    const from = Math.floor(i * every) + 1;
    const to = Math.floor((i + 1) * every) + 1;
    const [at, av] = points[a];
    let best = from;
    let bestArea = -1;
    for (let k = from; k < to; k += 1) {
      const area = Math.abs((at - avgT) * (points[k][1] - av) - (at - points[k][0]) * (avgV - av));
      if (area > bestArea) {
        bestArea = area;
        best = k;
      }
    }
    out.push(points[best]);
    a = best;
  }
  out.push(points[n - 1]);
  return out;
}
