/**
 * Whether a rule's query has data at all — Prometheus says "no data" for a rule whose
 * selector matches no series, where a plain "ok" would hide a typo in the metric name.
 */
export interface RuleQueryRef {
  id: number;
  kind: string;
  spec: unknown;
}

/** The metric a threshold rule reads from Loopscope's store, or null for kinds that read no metric (anomaly, leak), expect absence, or read the Prometheus data source. */
export function ruleMetric(rule: RuleQueryRef): string | null {
  if (rule.kind !== "threshold") return null;
  const spec = rule.spec as { query?: { metric?: unknown; source?: unknown } } | null;
  // The Prometheus data source's metrics are not in Loopscope's store: not judged here.
  if (spec?.query?.source === "prometheus") return null;
  return typeof spec?.query?.metric === "string" ? spec.query.metric : null;
}

const HISTOGRAM_SUFFIXES = ["_bucket", "_count", "_sum"];

/** A histogram is stored by its series' names (`x_bucket`…) and queried by the family name (`x`), or the other way round. */
export function metricKnown(metric: string, known: ReadonlySet<string>): boolean {
  if (known.has(metric)) return true;
  if (HISTOGRAM_SUFFIXES.some((s) => known.has(metric + s))) return true;
  const suffix = HISTOGRAM_SUFFIXES.find((s) => metric.endsWith(s));
  return suffix !== undefined && known.has(metric.slice(0, -suffix.length));
}

/** Ids of the rules whose metric has never been recorded. */
export function rulesWithoutData(rules: readonly RuleQueryRef[], known: ReadonlySet<string>): Set<number> {
  const out = new Set<number>();
  for (const rule of rules) {
    const metric = ruleMetric(rule);
    if (metric !== null && !metricKnown(metric, known)) out.add(rule.id);
  }
  return out;
}
