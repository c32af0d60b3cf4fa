import type { Clock } from "../clock";

export interface KeyCount {
  key: string;
  count: number;
}

/**
 * Counts adds per key over a sliding window (default the last minute, in 6 slices of
 * 10 s) to show hot keys. Memory is bounded: each slice tracks at most `maxKeysPerSlice`
 * distinct keys; once full it only counts keys it already tracks (a key hot enough to
 * matter is seen early in its slice).
 */
export class HotKeyCounter {
  private readonly slices: Map<string, number>[];
  private readonly sliceMs: number;
  private current = 0;
  private currentStart: number;

  constructor(
    private readonly clock: Clock,
    readonly windowMs = 60_000,
    readonly sliceCount = 6,
    readonly maxKeysPerSlice = 10_000,
  ) {
    this.sliceMs = windowMs / sliceCount;
    this.slices = Array.from({ length: sliceCount }, () => new Map<string, number>());
    this.currentStart = clock.now();
  }

  record(key: string): void {
    this.rotate();
    const slice = this.slices[this.current];
    const count = slice.get(key);
    if (count !== undefined) slice.set(key, count + 1);
    else if (slice.size < this.maxKeysPerSlice) slice.set(key, 1);
  }

  /** The `limit` keys with the most adds in the window, most first. */
  top(limit = 10): KeyCount[] {
    this.rotate();
    const totals = new Map<string, number>();
    for (const slice of this.slices) for (const [key, count] of slice) totals.set(key, (totals.get(key) ?? 0) + count);
    return [...totals]
      .map(([key, count]) => ({ key, count }))
      .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key))
      .slice(0, limit);
  }

  private rotate(): void {
    const now = this.clock.now();
    let steps = Math.floor((now - this.currentStart) / this.sliceMs);
    if (steps <= 0) return;
    this.currentStart += steps * this.sliceMs;
    if (steps > this.sliceCount) steps = this.sliceCount;
    for (let i = 0; i < steps; i += 1) {
      this.current = (this.current + 1) % this.sliceCount;
      this.slices[this.current].clear();
    }
  }
}

/** Events per sliding window (default the last minute in 6 slices), for rates in the live state. */
export class WindowCounter {
  private readonly slices: Float64Array;
  private readonly sliceMs: number;
  private current = 0;
  private currentStart: number;

  constructor(
    private readonly clock: Clock,
    readonly windowMs = 60_000,
    readonly sliceCount = 6,
  ) {
    this.sliceMs = windowMs / sliceCount;
    this.slices = new Float64Array(sliceCount);
    this.currentStart = clock.now();
  }

  add(n = 1): void {
    this.rotate();
    this.slices[this.current] += n;
  }

  total(): number {
    this.rotate();
    let sum = 0;
    for (const value of this.slices) sum += value;
    return sum;
  }

  private rotate(): void {
    const now = this.clock.now();
    let steps = Math.floor((now - this.currentStart) / this.sliceMs);
    if (steps <= 0) return;
    this.currentStart += steps * this.sliceMs;
    if (steps > this.sliceCount) steps = this.sliceCount;
    for (let i = 0; i < steps; i += 1) {
      this.current = (this.current + 1) % this.sliceCount;
      this.slices[this.current] = 0;
    }
  }
}
