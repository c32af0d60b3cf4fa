import { Ring } from "./ring";

/** Live resources by type at one instant (or the maximum over a bucket, for older points). */
export interface ResourceCountPoint {
  t: number;
  counts: Record<string, number>;
}

export interface ActiveResourceHistoryOptions {
  /** Full-resolution points kept (default 3600: one hour at one per second). */
  fineCapacity?: number;
  /** Width of the buckets older points are folded into (default one minute). */
  bucketMs?: number;
  /** Buckets kept (default 1440: one day of minutes). */
  coarseCapacity?: number;
}

/**
 * Resource counts over time for the dashboard, in bounded memory: the most recent
 * points at full resolution, older ones folded into fixed buckets that keep each
 * type's maximum (a leak shows as the peak, not an average that hides it).
 */
export class ActiveResourceHistory {
  private readonly fine: Ring<ResourceCountPoint>;
  private readonly coarse: Ring<ResourceCountPoint>;
  private readonly bucketMs: number;
  private open: ResourceCountPoint | undefined;

  constructor(options: ActiveResourceHistoryOptions = {}) {
    this.fine = new Ring(options.fineCapacity ?? 3_600);
    this.coarse = new Ring(options.coarseCapacity ?? 1_440);
    this.bucketMs = options.bucketMs ?? 60_000;
  }

  record(point: ResourceCountPoint): void {
    const evicted = this.fine.push(point);
    if (evicted) this.fold(evicted);
  }

  /** Points with `t >= since`, oldest first: buckets, then full-resolution points. */
  query(since = 0): ResourceCountPoint[] {
    const older = this.coarse.toArray();
    if (this.open) older.push(this.open);
    return [...older, ...this.fine.toArray()].filter((p) => p.t >= since);
  }

  latest(): ResourceCountPoint | undefined {
    return this.fine.last();
  }

  private fold(point: ResourceCountPoint): void {
    const bucketStart = Math.floor(point.t / this.bucketMs) * this.bucketMs;
    if (this.open && this.open.t !== bucketStart) {
      this.coarse.push(this.open);
      this.open = undefined;
    }
    this.open ??= { t: bucketStart, counts: {} };
    for (const [type, count] of Object.entries(point.counts)) {
      this.open.counts[type] = Math.max(this.open.counts[type] ?? 0, count);
    }
  }
}
