import { z } from "zod";

/**
 * How new a value is to the range the series has covered: a value beyond the highest
 * (or lowest) of the last RANGE_POINTS values is a record, and its tail probability is
 * that of a record among m exchangeable points (1 / (m + 1)) times an exponential
 * discount for how far beyond it goes, in units of RANGE_SCALE of the range covered.
 * A heavy-tailed series whose noise already spans a wide range learns that from its own
 * history (cf. the "spatial anomaly" of Numenta's detector: a value outside everything
 * seen so far is anomalous however the per-point deviations are calibrated). Values
 * inside the range carry no evidence (probability 1). Causal, O(1) amortised per point.
 */
const RANGE_POINTS = 2_000;
/** No evidence until this many values have been seen. */
const RANGE_MIN_POINTS = 100;
/** Going beyond the range by this share of it divides the probability by e. */
const RANGE_SCALE = 0.1;

export const rangeStateSchema = z.object({
  seen: z.number().int().min(0),
  /** Monotone deques [index, value]: candidates for the running maximum (values decreasing) and minimum (increasing). */
  max: z.array(z.tuple([z.number().int(), z.number()])).max(RANGE_POINTS),
  min: z.array(z.tuple([z.number().int(), z.number()])).max(RANGE_POINTS),
});
export type RangeState = z.infer<typeof rangeStateSchema>;

export class RangeNovelty {
  private seen: number;
  private readonly max: Array<[number, number]>;
  private readonly min: Array<[number, number]>;

  constructor(state?: RangeState) {
    this.seen = state?.seen ?? 0;
    this.max = state ? state.max.map(([i, v]): [number, number] => [i, v]) : [];
    this.min = state ? state.min.map(([i, v]): [number, number] => [i, v]) : [];
  }

  /** The tail probability of x as a record above or below the range so far (1 inside it); nothing is learnt. */
  probability(x: number): { above: number; below: number } {
    const m = Math.min(this.seen, RANGE_POINTS);
    if (m < RANGE_MIN_POINTS || this.max.length === 0) return { above: 1, below: 1 };
    const hi = this.max[0][1];
    const lo = this.min[0][1];
    const width = Math.max(hi - lo, 1e-9 * Math.max(Math.abs(hi), Math.abs(lo), 1));
    const record = 1 / (m + 1);
    return {
      above: x > hi ? record * Math.exp(-(x - hi) / (RANGE_SCALE * width)) : 1,
      below: x < lo ? record * Math.exp(-(lo - x) / (RANGE_SCALE * width)) : 1,
    };
  }

  add(x: number): void {
    const i = this.seen;
    this.seen += 1;
    const oldest = i - RANGE_POINTS;
    while (this.max.length > 0 && this.max[0][0] <= oldest) this.max.shift();
    while (this.min.length > 0 && this.min[0][0] <= oldest) this.min.shift();
    while (this.max.length > 0 && this.max[this.max.length - 1][1] <= x) this.max.pop();
    while (this.min.length > 0 && this.min[this.min.length - 1][1] >= x) this.min.pop();
    this.max.push([i, x]);
    this.min.push([i, x]);
  }

  toState(): RangeState {
    return { seen: this.seen, max: this.max.map(([i, v]): [number, number] => [i, v]), min: this.min.map(([i, v]): [number, number] => [i, v]) };
  }
}
