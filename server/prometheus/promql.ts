import type { RangeQuery } from "../query/range-query";
import type { LabelMatcher } from "../query/selector";

/**
 * The range queries of Loopscope's pages, rules and detectors written as PromQL, so a
 * Prometheus-compatible server evaluates them itself. Pure: a query in, text out. Every name
 * in the text was validated by the query schema (metric and label names), and every value is
 * a quoted string literal, so nothing a user types can change the expression's shape.
 */

/** A PromQL string literal (Go escapes; JSON's are a subset). */
export function quote(value: string): string {
  return JSON.stringify(value);
}

/** `metric{a="b",c=~"d.*"}`. */
export function selectorText(metric: string, matchers: readonly LabelMatcher[]): string {
  if (matchers.length === 0) return metric;
  return `${metric}{${matchers.map((m) => `${m.name}${m.op}${quote(m.value)}`).join(",")}}`;
}

/** A range or step duration in PromQL syntax: whole seconds as `Ns`, else `Nms`. */
export function durationText(ms: number): string {
  const whole = Math.max(1, Math.round(ms));
  return whole % 1000 === 0 ? `${whole / 1000}s` : `${whole}ms`;
}

function aggregated(op: string, by: readonly string[], inner: string): string {
  return by.length > 0 ? `${op} by (${by.join(",")}) (${inner})` : `${op}(${inner})`;
}

/** The metric a query reads: histogram_quantile reads the `_bucket` series. */
export function queriedMetric(query: Pick<RangeQuery, "metric" | "fn">): string {
  return query.fn === "histogram_quantile" && !query.metric.endsWith("_bucket") ? `${query.metric}_bucket` : query.metric;
}

/**
 * The PromQL of an evaluated range query (everything but raw values without aggregation),
 * with `windowMs` as the range of rate/increase/deriv/histogram_quantile:
 * - raw + op by (l): `op by (l) (m{…})` (instant values: lookback and staleness are the server's);
 * - rate/increase/deriv: `op by (l) (fn(m{…}[w]))`, or `fn(m{…}[w])` without aggregation;
 * - histogram_quantile: `histogram_quantile(φ, sum by (le, l) (rate(m_bucket{…}[w])))`, or
 *   `histogram_quantile(φ, rate(m_bucket{…}[w]))` without aggregation (as the local engine does).
 */
export function evaluatedExpression(query: RangeQuery, windowMs: number): string {
  const selector = selectorText(queriedMetric(query), query.matchers);
  const range = `${selector}[${durationText(windowMs)}]`;
  switch (query.fn) {
    case "raw": {
      if (!query.aggregate) return selector;
      return aggregated(query.aggregate.op, query.aggregate.by, selector);
    }
    case "histogram_quantile": {
      const rate = `rate(${range})`;
      const phi = String(query.quantile ?? 0.5);
      if (!query.aggregate) return `histogram_quantile(${phi}, ${rate})`;
      const by = ["le", ...query.aggregate.by.filter((l) => l !== "le")];
      return `histogram_quantile(${phi}, ${aggregated("sum", by, rate)})`;
    }
    default: {
      const inner = `${query.fn}(${range})`;
      return query.aggregate ? aggregated(query.aggregate.op, query.aggregate.by, inner) : inner;
    }
  }
}

/** min_over_time / max_over_time of raw values over each step: the envelope of long raw ranges. */
export function envelopeExpressions(query: Pick<RangeQuery, "metric" | "matchers">, stepMs: number): { min: string; max: string } {
  const range = `${selectorText(query.metric, query.matchers)}[${durationText(stepMs)}]`;
  return { min: `min_over_time(${range})`, max: `max_over_time(${range})` };
}

/** The raw samples of a selector over `rangeMs` ending at the query time (an instant query of a range vector). */
export function rawSamplesExpression(query: Pick<RangeQuery, "metric" | "matchers">, rangeMs: number): string {
  return `${selectorText(query.metric, query.matchers)}[${durationText(rangeMs)}]`;
}
