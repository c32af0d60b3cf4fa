/** The threshold-rule form's values and the PromQL-like expression they describe. Pure. */
import type { KeyValue } from "./key-values";
import { formatMatchers, type Matcher } from "./matchers";

export const RULE_FUNCTIONS = ["raw", "rate", "increase", "histogram_quantile"] as const;
export type RuleFunction = (typeof RULE_FUNCTIONS)[number];

export const RULE_AGGREGATIONS = ["none", "sum", "avg", "max"] as const;
export type RuleAggregation = (typeof RULE_AGGREGATIONS)[number];

export const COMPARATORS = [">", ">=", "<", "<=", "==", "!="] as const;
export type Comparator = (typeof COMPARATORS)[number];

/** Form state: numbers and durations stay strings until the server validates them. */
export interface RuleFormValues {
  name: string;
  metric: string;
  matchers: Matcher[];
  fn: RuleFunction;
  /** For histogram_quantile, e.g. "0.99". */
  quantile: string;
  aggregation: RuleAggregation;
  /** Comma-separated labels to aggregate by. */
  by: string;
  comparator: Comparator;
  value: string;
  /** Durations such as "5m". */
  for: string;
  keepFiringFor: string;
  labels: KeyValue[];
  annotations: KeyValue[];
}

export function emptyRuleFormValues(): RuleFormValues {
  return {
    name: "",
    metric: "",
    matchers: [],
    fn: "raw",
    quantile: "0.99",
    aggregation: "none",
    by: "",
    comparator: ">",
    value: "",
    for: "1m",
    keepFiringFor: "0s",
    labels: [{ key: "severity", value: "warning" }],
    annotations: [{ key: "summary", value: "" }],
  };
}

/** Comma-separated list to trimmed, non-empty names. */
export function splitList(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * The condition as a PromQL-style string, e.g.
 * `histogram_quantile(0.99, sum by (le) (rate(workqueue_work_duration_seconds_bucket{controller="pods"}))) > 2`.
 */
export function ruleExpression(v: Pick<RuleFormValues, "metric" | "matchers" | "fn" | "quantile" | "aggregation" | "by" | "comparator" | "value">): string {
  const selector = `${v.metric || "<metric>"}${v.matchers.length ? formatMatchers(v.matchers) : ""}`;
  const by = splitList(v.by);
  const aggregate = (inner: string, extra: string[] = []) => {
    if (v.aggregation === "none" && extra.length === 0) return inner;
    const op = v.aggregation === "none" ? "sum" : v.aggregation;
    const labels = [...by, ...extra];
    return `${op}${labels.length ? ` by (${labels.join(", ")})` : ""} (${inner})`;
  };
  let query: string;
  switch (v.fn) {
    case "rate":
    case "increase":
      query = aggregate(`${v.fn}(${selector})`);
      break;
    case "histogram_quantile": {
      const bucket = v.metric.endsWith("_bucket") || !v.metric ? selector : selector.replace(v.metric, `${v.metric}_bucket`);
      query = `histogram_quantile(${v.quantile || "?"}, ${aggregate(`rate(${bucket})`, ["le"])})`;
      break;
    }
    default:
      query = aggregate(selector);
  }
  return `${query} ${v.comparator} ${v.value === "" ? "?" : v.value}`;
}
