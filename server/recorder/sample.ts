import { createHash } from "node:crypto";

/** Metric family types as Prometheus knows them; histogram/summary parts keep the family's type. */
export type MetricType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

export type Labels = Record<string, string>;

/**
 * One sample as Prometheus would store it: the full series name (e.g. `x_bucket`,
 * `x_sum`), its labels, the raw value (cumulative for counters) and a timestamp in
 * epoch milliseconds. `type`/`help` describe the family the sample belongs to.
 */
export interface RecordedSample {
  metric: string;
  labels: Labels;
  value: number;
  ts: number;
  type: MetricType;
  help: string;
  /** The exporter stamped this sample itself (such series are never marked stale, as in Prometheus). */
  explicitTimestamp?: boolean;
}

/** A series as stored in the `series` table (without its database id). */
export interface SeriesDescriptor {
  hash: string;
  metric: string;
  labels: Labels;
  type: MetricType;
  help: string;
  /** "self" for the in-process registry, or "target:<id>" for a scrape target. */
  source: string;
  targetId: number | null;
}

/** The source name of the in-process registry. */
export const SELF_SOURCE = "self";

/**
 * The `job` of the in-process registry's series: Loopscope records itself as Prometheus
 * would scrape it, so a target that scrapes Loopscope's own /metrics is one more job
 * beside it (and the built-in controllers' queries select `job="loopscope"`).
 */
export const SELF_JOB = "loopscope";

/** Labels with their names in sorted order (the canonical form for hashing and display). */
export function sortedLabels(labels: Labels): [string, string][] {
  return Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The identity of a series: sha256 (hex) of source, metric name and the labels in
 * name order. NUL separators keep distinct inputs from colliding by concatenation
 * (label names and metric names cannot contain NUL).
 */
export function seriesHash(source: string, metric: string, labels: Labels): string {
  const hash = createHash("sha256");
  hash.update(source);
  hash.update("\u0000");
  hash.update(metric);
  for (const [name, value] of sortedLabels(labels)) {
    hash.update("\u0000");
    hash.update(name);
    hash.update("\u0001");
    hash.update(value);
  }
  return hash.digest("hex");
}

/** The scrape target id of a "target:<id>" source, or null for other sources. */
export function targetIdOf(source: string): number | null {
  const match = /^target:(\d+)$/.exec(source);
  return match ? Number(match[1]) : null;
}

export function normalizeMetricType(type: string): MetricType {
  switch (type.toLowerCase()) {
    case "counter":
      return "counter";
    case "gauge":
      return "gauge";
    case "histogram":
    case "gaugehistogram":
      return "histogram";
    case "summary":
      return "summary";
    default:
      return "untyped";
  }
}

export function describeSeries(source: string, sample: Pick<RecordedSample, "metric" | "labels" | "type" | "help">): SeriesDescriptor {
  return {
    hash: seriesHash(source, sample.metric, sample.labels),
    metric: sample.metric,
    labels: sample.labels,
    type: sample.type,
    help: sample.help,
    source,
    targetId: targetIdOf(source),
  };
}
