import { type Rejection, type SampleLimits, seriesRejection } from "../ingest/sample-limits";
import type { Labels, MetricType } from "../recorder/sample";
import type { RemoteMetadata } from "./write-request";

/** The source of every remote-written series (its identity is source + name + labels, as for scrapes). */
export const REMOTE_WRITE_SOURCE = "remote-write";

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * A remote-written series as Loopscope stores it: `__name__` is the metric, the other
 * labels are its labels (an empty value is no label, as in Prometheus's TSDB); or why it
 * is refused — Prometheus's rules for a valid series (a metric name, valid and distinct
 * label names) and then the same limits as scraped series (server/ingest).
 */
export function remoteSeries(
  pairs: readonly (readonly [string, string])[],
  limits: SampleLimits,
): { metric: string; labels: Labels } | { refused: Rejection } {
  let metric: string | undefined;
  const labels: Labels = {};
  const seen = new Set<string>();
  for (const [name, value] of pairs) {
    if (seen.has(name)) return { refused: { reason: "label_name_invalid", message: `label ${JSON.stringify(name.slice(0, 40))} appears twice in one series` } };
    seen.add(name);
    if (name === "__name__") {
      metric = value;
      continue;
    }
    if (!LABEL_NAME.test(name)) return { refused: { reason: "label_name_invalid", message: `label name ${JSON.stringify(name.slice(0, 40))} is not a valid Prometheus label name` } };
    if (value !== "") labels[name] = value;
  }
  if (metric === undefined || !METRIC_NAME.test(metric)) {
    return { refused: { reason: "label_name_invalid", message: metric === undefined ? "a series without __name__" : `metric name ${JSON.stringify(metric.slice(0, 40))} is not valid` } };
  }
  const refused = seriesRejection(metric, labels, limits);
  return refused ? { refused } : { metric, labels };
}

/** Metadata learned per metric family, bounded (the oldest family is forgotten first). */
export class FamilyTypes {
  private readonly families = new Map<string, { type: MetricType; help: string }>();

  constructor(private readonly max = 100_000) {}

  learn(metadata: readonly RemoteMetadata[]): void {
    for (const m of metadata) {
      this.families.delete(m.family);
      if (this.families.size >= this.max) this.families.delete(this.families.keys().next().value as string);
      this.families.set(m.family, { type: storedType(m.type), help: m.help.slice(0, 1_024) });
    }
  }

  /**
   * The type and help of a series' family: from the metadata Prometheus sent (by the
   * family name, or the name without a histogram/summary/counter suffix), else guessed
   * from the suffix (`_total` counter, `_bucket` histogram), else untyped.
   */
  of(metric: string): { type: MetricType; help: string } {
    const exact = this.families.get(metric);
    if (exact) return exact;
    for (const suffix of ["_bucket", "_sum", "_count", "_total", "_created"]) {
      if (!metric.endsWith(suffix)) continue;
      const family = this.families.get(metric.slice(0, -suffix.length));
      if (family) return family;
    }
    if (metric.endsWith("_total")) return { type: "counter", help: "" };
    if (metric.endsWith("_bucket")) return { type: "histogram", help: "" };
    return { type: "untyped", help: "" };
  }
}

function storedType(type: RemoteMetadata["type"]): MetricType {
  switch (type) {
    case "counter":
    case "gauge":
    case "histogram":
    case "summary":
      return type;
    case "gaugehistogram":
      return "histogram";
    default:
      return "untyped";
  }
}
