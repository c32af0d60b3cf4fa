/** The order statistics the benchmarks print, one definition for all of them. */

import { seededRandom } from "../../server/anomaly/synthetic";

/** The median: the middle value, or the mean of the two middle ones. NaN when there is none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The nearest-rank q-quantile of values already in ascending order: the ⌈q·n⌉-th. NaN when there is none. */
export function quantileOfSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** The nearest-rank q-quantile of values in any order. */
export function quantile(values: readonly number[], q: number): number {
  return quantileOfSorted([...values].sort((a, b) => a - b), q);
}

/**
 * A `level` confidence interval for the median of measurements taken in groups (e.g. slice
 * pairs taken by one pair of processes): a two-stage bootstrap that draws groups with
 * replacement, then the measurements of each drawn group with replacement, and takes the
 * median of what was drawn. Drawing whole groups keeps what a group shares (one process's
 * JIT, one stretch of the machine's load) in the interval; a pooled bootstrap would leave it
 * out and claim more precision than the measurement has. [NaN, NaN] when there is nothing.
 */
export function medianInterval(groups: readonly (readonly number[])[], level = 0.95, resamples = 2_000, seed = 1): [number, number] {
  const nonEmpty = groups.filter((group) => group.length > 0);
  if (nonEmpty.length === 0) return [Number.NaN, Number.NaN];
  const random = seededRandom(seed);
  const pick = (n: number) => Math.floor(random() * n);
  const medians = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    const drawn: number[] = [];
    for (let g = 0; g < nonEmpty.length; g++) {
      const group = nonEmpty[pick(nonEmpty.length)];
      for (let i = 0; i < group.length; i++) drawn.push(group[pick(group.length)]);
    }
    medians[r] = median(drawn);
  }
  medians.sort();
  const tail = (1 - level) / 2;
  return [quantileOfSorted(medians, tail), quantileOfSorted(medians, 1 - tail)];
}
