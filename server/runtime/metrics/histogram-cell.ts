/**
 * One histogram series kept as plain numbers: per-bucket counts (not cumulative), a sum
 * and a count. Observing costs a short scan of the bounds and no allocation, so it can
 * sit on a work queue's hot path; the counts are turned into Prometheus's cumulative
 * buckets only when scraped.
 */
export class HistogramCell {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  /** @param bounds ascending upper bounds, without +Inf */
  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    this.sum += value;
    this.count += 1;
    for (let i = 0; i < bounds.length; i += 1) {
      if (value <= bounds[i]) {
        this.counts[i] += 1;
        return;
      }
    }
  }

  /** Cumulative counts per bound (what `_bucket{le=…}` shows); +Inf is `count`. */
  cumulative(): number[] {
    const result: number[] = [];
    let total = 0;
    for (const count of this.counts) {
      total += count;
      result.push(total);
    }
    return result;
  }
}
