/**
 * The threshold-rule form ↔ the alerts.rules.create/update input (server/alerting/rule-schema.ts).
 * Pure: numbers are checked here so the form says "must be a number" before a round trip; every
 * other rule is the server's, and its issues come back through {@link ruleFieldMapper}.
 */
import { formatDuration } from "../../shared/duration";
import { pairsToRecord, recordToPairs } from "../../components/forms/key-values";
import { formatMatchers } from "../../components/forms/matchers";
import {
  COMPARATORS,
  emptyRuleFormValues,
  RULE_AGGREGATIONS,
  RULE_FUNCTIONS,
  type RuleFormValues,
  ruleExpression,
  splitList,
} from "../../components/forms/rule-values";
import type { RuleItem } from "./api-types";
import { type FieldErrors, fieldMapper } from "./form-errors";

type ThresholdRule = Extract<RuleItem, { kind: "threshold" }>;
type ThresholdSpec = ThresholdRule["spec"];

/** A rule as the form edits it: the form's values plus the evaluation interval (shown next to the form). */
export interface RuleDraft {
  values: RuleFormValues;
  interval: string;
}

export function emptyRuleDraft(): RuleDraft {
  return { values: emptyRuleFormValues(), interval: "15s" };
}

function isOneOf<T extends string>(list: readonly T[], value: string): value is T {
  return (list as readonly string[]).includes(value);
}

/** The form's values for a stored threshold rule, or why the form cannot edit it. */
export function ruleDraftFrom(rule: RuleItem): RuleDraft | { unsupported: string } {
  if (rule.kind !== "threshold") return { unsupported: `"${rule.name}" is a ${rule.kind} rule; the form edits threshold rules. You can enable or disable it here.` };
  const { query, comparator, value } = rule.spec;
  const agg = query.agg ?? "none";
  if (!isOneOf(RULE_FUNCTIONS, query.fn) || !isOneOf(RULE_AGGREGATIONS, agg) || !isOneOf(COMPARATORS, comparator)) {
    return { unsupported: `"${rule.name}" uses ${query.fn} / ${agg}, which the form does not offer; change it through the API.` };
  }
  return {
    values: {
      name: rule.name,
      metric: query.metric,
      matchers: query.matchers.map((m) => ({ ...m })),
      fn: query.fn,
      quantile: query.q === undefined ? "0.99" : String(query.q),
      aggregation: agg,
      by: (query.by ?? []).join(", "),
      comparator,
      value: String(value),
      for: formatDuration(rule.forMs),
      keepFiringFor: formatDuration(rule.keepFiringForMs),
      labels: recordToPairs(rule.labels),
      annotations: recordToPairs(rule.annotations),
    },
    interval: formatDuration(rule.intervalMs),
  };
}

function parseNumber(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * The API input for a draft, or the problems the browser can see by itself. `base` is the stored
 * rule when editing: query settings the form does not show (the rate window) are kept.
 */
export function ruleInputFrom(draft: RuleDraft, base?: RuleItem): { input: Record<string, unknown> } | { errors: FieldErrors; rest: Record<string, unknown> } {
  const v = draft.values;
  const errors: FieldErrors = {};
  let value = parseNumber(v.value);
  if (value === undefined) errors.value = v.value.trim() === "" ? "is required: the threshold to compare with" : "must be a number";
  let q = v.fn === "histogram_quantile" ? parseNumber(v.quantile) : undefined;
  if (v.fn === "histogram_quantile" && q === undefined) errors.quantile = "must be a number between 0 and 1";
  const local = Object.keys(errors).length > 0;
  // With placeholders for what the browser already refused, the server can still check the rest (`rest`), so every error shows at once.
  value ??= 0;
  if (v.fn === "histogram_quantile") q ??= 0.5;

  const by = splitList(v.by);
  const baseQuery = base?.kind === "threshold" ? base.spec.query : undefined;
  const query: Record<string, unknown> = {
    metric: v.metric.trim(),
    matchers: v.matchers.map((m) => ({ name: m.name.trim(), op: m.op, value: m.value })),
    fn: v.fn,
  };
  if (q !== undefined) query.q = q;
  if (v.fn !== "raw" && baseQuery?.rangeMs !== undefined) query.rangeMs = baseQuery.rangeMs;
  if (v.aggregation !== "none") {
    query.agg = v.aggregation;
    if (by.length > 0) query.by = by;
  }
  const annotations = pairsToRecord(draft.values.annotations.filter((a) => a.value.trim() !== ""));
  const input = {
      name: v.name,
      kind: "threshold",
      spec: { query, comparator: v.comparator, value },
      for: v.for.trim() || "0s",
      keepFiringFor: v.keepFiringFor.trim() || "0s",
      interval: draft.interval.trim() || "15s",
      labels: pairsToRecord(v.labels),
      annotations,
  };
  return local ? { errors, rest: input } : { input };
}

/** Server issue paths → RuleForm's error keys; `interval` is the page's own field. */
export const ruleFieldMapper = fieldMapper(
  ["name", "metric", "matchers", "fn", "quantile", "aggregation", "by", "comparator", "value", "for", "keepFiringFor", "labels", "annotations", "interval"],
  {
    "spec.query.metric": "metric",
    "spec.query.matchers": "matchers",
    "spec.query.fn": "fn",
    "spec.query.q": "quantile",
    "spec.query.agg": "aggregation",
    "spec.query.by": "by",
    "spec.comparator": "comparator",
    "spec.value": "value",
  },
);

function thresholdExpression(spec: ThresholdSpec): string {
  const { query } = spec;
  // The form's expression printer knows rate and max; deriv and min print the same way.
  const text = ruleExpression({
    metric: query.metric,
    matchers: query.matchers,
    fn: query.fn === "deriv" ? "rate" : query.fn,
    quantile: query.q === undefined ? "" : String(query.q),
    aggregation: query.agg === "min" ? "max" : (query.agg ?? "none"),
    by: (query.by ?? []).join(", "),
    comparator: spec.comparator,
    value: String(spec.value),
  });
  const withFn = query.fn === "deriv" ? text.replace("rate(", "deriv(") : text;
  return query.agg === "min" ? withFn.replace(/^max/, "min") : withFn;
}

/** One line that says when a rule fires, for the rules table. */
export function ruleExpressionOf(rule: RuleItem): string {
  switch (rule.kind) {
    case "threshold":
      return thresholdExpression(rule.spec);
    case "anomaly":
      return `anomaly score ≥ ${rule.spec.minScore} on ${rule.spec.seriesKey ?? formatMatchers(rule.spec.match ?? [])}`;
    case "leak": {
      const where = [rule.spec.controller && `controller=${rule.spec.controller}`, rule.spec.type && `type=${rule.spec.type}`].filter(Boolean).join(", ");
      return `active resources${where ? ` {${where}}` : ""} grow > ${rule.spec.minSlope}/min for ${formatDuration(rule.spec.sustainedMs)}`;
    }
    case "absent":
      return `absent(${rule.spec.query.metric}${rule.spec.query.matchers.length ? formatMatchers(rule.spec.query.matchers) : ""}) for ${formatDuration(rule.spec.forMs)}`;
  }
}
