import type { Registry } from "prom-client";
import { formatPrometheusFloat } from "./prometheus-float";
import { type Labels, type MetricType, normalizeMetricType, type RecordedSample } from "./sample";

/** The shape prom-client's `getMetricsAsJSON()` returns (it is typed loosely upstream). */
interface JsonMetricValue {
  value: number;
  labels?: Record<string, string | number | undefined>;
  metricName?: string;
}
interface JsonMetric {
  name: string;
  help: string;
  type: string;
  values: JsonMetricValue[];
}

function labelText(name: string, value: string | number): string {
  // prom-client gives `le` and `quantile` as numbers (and "+Inf"); store them as
  // Prometheus does after scraping the text format.
  if (typeof value === "number" && (name === "le" || name === "quantile")) return formatPrometheusFloat(value);
  return String(value);
}

/** Labels added to every in-process sample, e.g. `{replica}` when several replicas record into one database (set by the wiring). */
let selfLabels: Labels = {};
export function setSelfLabels(labels: Labels): void {
  selfLabels = { ...labels };
}

function toLabels(raw: JsonMetricValue["labels"]): Labels {
  const labels: Labels = { ...selfLabels };
  if (!raw) return labels;
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    labels[name] = labelText(name, value);
  }
  return labels;
}

/**
 * Turns one prom-client family (as from `getMetricsAsJSON`) into the samples
 * Prometheus would store when scraping it: counters and gauges under their own name,
 * histograms as `_bucket{le}` (cumulative, including `+Inf`), `_sum` and `_count`,
 * summaries as `{quantile}` samples plus `_sum` and `_count`. Values stay raw
 * (cumulative); rates and quantiles are computed at query time.
 */
export function familySamples(family: JsonMetric, ts: number): RecordedSample[] {
  const type: MetricType = normalizeMetricType(family.type);
  const help = family.help ?? "";
  return family.values.map((entry) => ({
    metric: entry.metricName ?? family.name,
    labels: toLabels(entry.labels),
    value: entry.value,
    ts,
    type,
    help,
  }));
}

/** Collects every metric of a prom-client registry as samples stamped `ts` (epoch ms). */
export async function collectRegistry(registry: Registry, ts: number): Promise<RecordedSample[]> {
  const families = (await registry.getMetricsAsJSON()) as unknown as JsonMetric[];
  const samples: RecordedSample[] = [];
  for (const family of families) {
    for (const sample of familySamples(family, ts)) samples.push(sample);
  }
  return samples;
}
