/**
 * The recent "normal" points of one series and their robust statistics (median,
 * quantiles, one-sided median deviations). It keeps the raw points in arrival order
 * plus a sorted copy of their deseasonalised values, so an update costs O(window) at
 * worst, a statistic O(log window), and neither allocates.
 *
 * Guarantee: the statistics depend only on the multiset of stored points and the
 * seasonal offset function last passed to `rebuild`, so a baseline restored from
 * `toState()` answers exactly as the original did.
 */
export interface BaselineState {
  /** Timestamps (ms) of the stored points, oldest first. */
  ts: number[];
  /** Raw values of the stored points, oldest first. */
  values: number[];
}

export type OffsetFn = (ts: number) => number;

/**
 * Points as stored in JSON: timestamps as successive differences from `t0` (a third
 * of the size at a steady scrape interval), or absolute in `dt` when `t0` is null
 * (used when differences would not reproduce the timestamps exactly).
 */
export interface StoredPoints {
  t0: number | null;
  dt: number[];
  values: number[];
}

export function encodePoints(ts: readonly number[], values: readonly number[]): StoredPoints {
  if (ts.length === 0) return { t0: null, dt: [], values: [] };
  const dt: number[] = [];
  let at = ts[0];
  for (let i = 1; i < ts.length; i += 1) {
    const d = ts[i] - at;
    if (at + d !== ts[i]) return { t0: null, dt: [...ts], values: [...values] };
    dt.push(d);
    at += d;
  }
  return { t0: ts[0], dt, values: [...values] };
}

export function decodePoints(p: StoredPoints): BaselineState {
  if (p.t0 === null) return { ts: [...p.dt], values: [...p.values] };
  const ts = [p.t0];
  let at = p.t0;
  for (const d of p.dt) {
    at += d;
    ts.push(at);
  }
  return { ts, values: [...p.values] };
}

const NO_OFFSET: OffsetFn = () => 0;

/** A side of the median holding fewer than 1/RARE_SIDE of the points is rare. */
const RARE_SIDE = 4;

/** Median of `zeros` zero distances followed by `n` ascending distances `at(0…n−1)`. */
function sideMedian(zeros: number, n: number, at: (k: number) => number): { spread: number; count: number } {
  const count = zeros + n;
  if (count === 0) return { spread: 0, count };
  const value = (i: number) => (i < zeros ? 0 : at(i - zeros));
  const mid = (count - 1) / 2;
  return { spread: (value(Math.floor(mid)) + value(Math.ceil(mid))) / 2, count };
}

/** Index of the first element ≥ x among the first n of an ascending array. */
function lowerBound(sorted: Float64Array, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first element > x among the first n of an ascending array. */
function upperBound(sorted: Float64Array, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class RobustBaseline {
  // Ring buffers in arrival order (oldest at `head`), and the deseasonalised values sorted.
  private readonly tsRing: Float64Array;
  private readonly rawRing: Float64Array;
  private readonly yRing: Float64Array;
  private head = 0;
  private count = 0;
  private readonly sorted: Float64Array;
  private nonIntegral = 0;

  constructor(
    readonly capacity: number,
    /** Points older than this (relative to the newest) are dropped… */
    readonly spanMs: number,
    /** …unless fewer than this many would remain (sparse series keep a longer history). */
    readonly minPoints: number,
    state?: BaselineState,
    offset: OffsetFn = NO_OFFSET,
  ) {
    this.tsRing = new Float64Array(capacity);
    this.rawRing = new Float64Array(capacity);
    this.yRing = new Float64Array(capacity);
    this.sorted = new Float64Array(capacity);
    if (state) this.replace(state.ts, state.values, offset);
  }

  get size(): number {
    return this.count;
  }

  private at(i: number): number {
    return (this.head + i) % this.capacity;
  }

  /** Stores a point whose deseasonalised value is y, evicting points that are too many or too old. */
  add(ts: number, value: number, deseasonalised: number): void {
    const y = deseasonalised === 0 ? 0 : deseasonalised; // one zero (not −0), so restores match exactly
    while (this.count > 0 && (this.count >= this.capacity || (this.count >= this.minPoints && ts - this.tsRing[this.head] > this.spanMs))) {
      this.evictOldest();
    }
    const slot = this.at(this.count);
    this.tsRing[slot] = ts;
    this.rawRing[slot] = value;
    this.yRing[slot] = y;
    const pos = lowerBound(this.sorted, this.count, y);
    this.sorted.copyWithin(pos + 1, pos, this.count);
    this.sorted[pos] = y;
    this.count += 1;
    if (!Number.isInteger(value)) this.nonIntegral += 1;
  }

  private evictOldest(): void {
    const slot = this.head;
    const y = this.yRing[slot];
    const pos = lowerBound(this.sorted, this.count, y);
    this.sorted.copyWithin(pos, pos + 1, this.count);
    if (!Number.isInteger(this.rawRing[slot])) this.nonIntegral -= 1;
    this.head = (this.head + 1) % this.capacity;
    this.count -= 1;
  }

  /** Replaces the content with the given points (the newest `capacity` of them). */
  replace(ts: readonly number[], values: readonly number[], offset: OffsetFn): void {
    const from = Math.max(0, ts.length - this.capacity);
    this.head = 0;
    this.count = ts.length - from;
    for (let i = 0; i < this.count; i += 1) {
      this.tsRing[i] = ts[from + i];
      this.rawRing[i] = values[from + i];
    }
    this.rebuild(offset);
  }

  /** Recomputes the deseasonalised values after the seasonal offsets changed. */
  rebuild(offset: OffsetFn): void {
    this.nonIntegral = 0;
    for (let i = 0; i < this.count; i += 1) {
      const slot = this.at(i);
      const d = this.rawRing[slot] - offset(this.tsRing[slot]);
      const y = d === 0 ? 0 : d;
      this.yRing[slot] = y;
      this.sorted[i] = y;
      if (!Number.isInteger(this.rawRing[slot])) this.nonIntegral += 1;
    }
    this.sorted.subarray(0, this.count).sort();
  }

  /** Drops the points whose deseasonalised value fails the test; returns how many. */
  removeWhere(reject: (y: number) => boolean, offset: OffsetFn): number {
    const ts: number[] = [];
    const values: number[] = [];
    for (let i = 0; i < this.count; i += 1) {
      const slot = this.at(i);
      if (reject(this.yRing[slot])) continue;
      ts.push(this.tsRing[slot]);
      values.push(this.rawRing[slot]);
    }
    const removed = this.count - ts.length;
    if (removed > 0) this.replace(ts, values, offset);
    return removed;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
    this.nonIntegral = 0;
  }

  /** True when every stored raw value is a whole number (counts, queue depths, workers). */
  allIntegral(): boolean {
    return this.nonIntegral === 0;
  }

  median(): number {
    return this.quantile(0.5);
  }

  /** Linear-interpolated quantile of the deseasonalised values (NaN when empty). */
  quantile(q: number): number {
    const n = this.count;
    if (n === 0) return Number.NaN;
    const pos = q * (n - 1);
    const i = Math.floor(pos);
    const frac = pos - i;
    if (i + 1 >= n) return this.sorted[n - 1];
    return this.sorted[i] + (this.sorted[i + 1] - this.sorted[i]) * frac;
  }

  /**
   * Median distance from `center` of the values above it, and how many values that
   * median is taken over. With its mirror `belowSpread` this is a "double MAD": it
   * follows skewed series, and a contamination of up to a quarter of the points cannot
   * move it arbitrarily. When the values strictly above are rare (under a quarter: the
   * median sits in a run of equal values, as in a zero-inflated error rate), half of the
   * values equal to `center` join that side at distance 0, so the rare side's spread is
   * not the size of its one or two blips.
   */
  aboveSpread(center: number): { spread: number; count: number } {
    const s = this.sorted;
    const from = upperBound(s, this.count, center);
    const n = this.count - from;
    const ties = n * RARE_SIDE < this.count ? Math.floor((from - lowerBound(s, this.count, center)) / 2) : 0;
    return sideMedian(ties, n, (k) => s[from + k] - center);
  }

  /** Median distance from `center` of the values below it (a rare side shares ties, as in `aboveSpread`), and over how many. */
  belowSpread(center: number): { spread: number; count: number } {
    const s = this.sorted;
    const below = lowerBound(s, this.count, center);
    const ties = below * RARE_SIDE < this.count ? Math.floor((upperBound(s, this.count, center) - below) / 2) : 0;
    return sideMedian(ties, below, (k) => center - s[below - 1 - k]);
  }

  toState(): BaselineState {
    const ts: number[] = [];
    const values: number[] = [];
    for (let i = 0; i < this.count; i += 1) {
      ts.push(this.tsRing[this.at(i)]);
      values.push(this.rawRing[this.at(i)]);
    }
    return { ts, values };
  }
}
