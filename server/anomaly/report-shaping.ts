/**
 * Turns a stream of anomaly scores into reports: a point keeps its score only when it is
 * higher than every score of the REST_POINTS points before it, otherwise it reports 0.
 * An anomaly is then reported where it begins (and again only if it grows), not at every
 * point it lasts, and a burst of alike spikes reports once: at any threshold, a lasting
 * departure yields one early detection followed by quiet, which is what window-scored
 * benchmarks (one credit per anomaly window, a cost per further detection) and people
 * reading an alert feed both reward. Causal: point i looks only at points ≤ i.
 * A monotone deque keeps it O(1) amortised per point.
 */
export const REST_POINTS = 120;

export class ReportShaper {
  /** Indices and scores of the candidates for the trailing maximum, scores decreasing. */
  private idx: number[] = [];
  private val: number[] = [];
  private head = 0;
  private i = 0;

  constructor(readonly restPoints: number = REST_POINTS) {}

  /** A copy of the shaper as it is now (to rewind to, as the backtest does on a repeated timestamp). */
  copy(): ReportShaper {
    const c = new ReportShaper(this.restPoints);
    c.idx = this.idx.slice(this.head);
    c.val = this.val.slice(this.head);
    c.i = this.i;
    return c;
  }

  /** The reported score of the next point. */
  next(score: number): number {
    const i = this.i;
    this.i += 1;
    while (this.head < this.idx.length && this.idx[this.head] < i - this.restPoints) this.head += 1;
    const previousMax = this.head < this.idx.length ? this.val[this.head] : 0;
    while (this.idx.length > this.head && this.val[this.val.length - 1] <= score) {
      this.idx.pop();
      this.val.pop();
    }
    this.idx.push(i);
    this.val.push(score);
    if (this.head > 1_024) {
      this.idx.splice(0, this.head);
      this.val.splice(0, this.head);
      this.head = 0;
    }
    return score > previousMax ? score : 0;
  }
}
