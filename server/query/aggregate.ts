import { bucketQuantile, parseUpperBound } from "./histogram-quantile";
import type { Labels } from "./selector";

/** One series evaluated at every step of a plan; NaN where it has no value. */
export interface StepSeries {
  labels: Labels;
  values: Float64Array;
}

export type AggregateOp = "sum" | "avg" | "max" | "min" | "count";

function groupKey(labels: Labels, names: readonly string[]): string {
  return JSON.stringify(names.map((name) => labels[name] ?? ""));
}

function pick(labels: Labels, names: readonly string[]): Labels {
  const out: Labels = {};
  for (const name of names) {
    const value = labels[name];
    if (value !== undefined && value !== "") out[name] = value;
  }
  return out;
}

/**
 * PromQL `op by (labels) (series)`: at each step, combines the instant values present
 * in each group at that step (never values between steps); a group with no value at a
 * step has none in the result. The result keeps only the `by` labels.
 */
export function aggregateSeries(series: readonly StepSeries[], op: AggregateOp, by: readonly string[]): StepSeries[] {
  const groups = new Map<string, { labels: Labels; members: StepSeries[] }>();
  for (const s of series) {
    const key = groupKey(s.labels, by);
    let group = groups.get(key);
    if (!group) {
      group = { labels: pick(s.labels, by), members: [] };
      groups.set(key, group);
    }
    group.members.push(s);
  }
  const out: StepSeries[] = [];
  for (const { labels, members } of groups.values()) {
    const steps = members[0].values.length;
    const values = new Float64Array(steps).fill(Number.NaN);
    for (let i = 0; i < steps; i += 1) {
      let count = 0;
      let acc = 0;
      for (const member of members) {
        const v = member.values[i];
        if (Number.isNaN(v)) continue;
        // As PromQL: max/min prefer any number to NaN (here NaN means "no value", so never seen).
        if (count === 0) acc = v;
        else if (op === "sum" || op === "avg") acc += v;
        else if (op === "max") acc = v > acc ? v : acc;
        else if (op === "min") acc = v < acc ? v : acc;
        count += 1;
      }
      if (count > 0) values[i] = op === "avg" ? acc / count : op === "count" ? count : acc;
    }
    out.push({ labels, values });
  }
  return out;
}

/**
 * PromQL `histogram_quantile(q, buckets)` over per-step bucket values (rates): the
 * series are grouped by their labels without `le`, and each group's buckets at each
 * step give one quantile (NaN where Prometheus gives NaN or no bucket has a value).
 */
export function histogramQuantileSeries(q: number, series: readonly StepSeries[]): StepSeries[] {
  const groups = new Map<string, { labels: Labels; members: { bound: number; values: Float64Array }[] }>();
  for (const s of series) {
    const le = s.labels.le;
    if (le === undefined) continue;
    const bound = parseUpperBound(le);
    if (Number.isNaN(bound)) continue;
    const { le: _le, __name__: _name, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : 1)));
    let group = groups.get(key);
    if (!group) {
      group = { labels: rest, members: [] };
      groups.set(key, group);
    }
    group.members.push({ bound, values: s.values });
  }
  const out: StepSeries[] = [];
  for (const { labels, members } of groups.values()) {
    const steps = members[0].values.length;
    const values = new Float64Array(steps).fill(Number.NaN);
    for (let i = 0; i < steps; i += 1) {
      const buckets = [];
      for (const m of members) {
        const v = m.values[i];
        if (!Number.isNaN(v)) buckets.push({ upperBound: m.bound, count: v });
      }
      if (buckets.length > 0) values[i] = bucketQuantile(q, buckets);
    }
    out.push({ labels, values });
  }
  return out;
}
