import type { InstantSample, RuleDataSources } from "./data-sources";
import { type Labels, normalizeLabels } from "./labels";
import { matchesAll } from "./matchers";
import type { AlertRuleDefinition, Comparator, ThresholdSpec } from "./rule-schema";
import { expandTemplate } from "./template";

/** The label set, annotations and value of one alert the rule's condition produced. */
export interface AlertCandidate {
  labels: Labels;
  annotations: Labels;
  value: number;
}

export function compare(value: number, comparator: Comparator, threshold: number): boolean {
  switch (comparator) {
    case ">":
      return value > threshold;
    case ">=":
      return value >= threshold;
    case "<":
      return value < threshold;
    case "<=":
      return value <= threshold;
    case "==":
      return value === threshold;
    case "!=":
      return value !== threshold;
  }
}

function withoutName(labels: Labels): Labels {
  const { __name__: _ignored, ...rest } = labels;
  return rest;
}

/** The samples of a threshold rule's instant vector that cross its threshold (labels without __name__). */
export function thresholdHolds(spec: ThresholdSpec, samples: readonly InstantSample[]): InstantSample[] {
  return samples.filter((s) => compare(s.value, spec.comparator, spec.value)).map((s) => ({ labels: withoutName(s.labels), value: s.value }));
}

/**
 * The samples for which the rule's condition holds at `at`, like the result vector of
 * a Prometheus alerting expression: one element per would-be alert.
 */
export async function evaluateCondition(rule: AlertRuleDefinition, sources: RuleDataSources, at: number): Promise<InstantSample[]> {
  switch (rule.kind) {
    case "threshold":
      return thresholdHolds(rule.spec, await sources.queryInstant(rule.spec.query, at));
    case "anomaly": {
      const windows = await sources.openAnomalyWindows(at);
      const out: InstantSample[] = [];
      for (const w of windows) {
        if (w.peakScore < rule.spec.minScore) continue;
        const labels: Labels = { series_key: w.seriesKey, direction: w.direction, detector: w.detector };
        if (w.controller) labels.controller = w.controller;
        if (rule.spec.seriesKey !== undefined && w.seriesKey !== rule.spec.seriesKey) continue;
        if (rule.spec.match !== undefined && !matchesAll(rule.spec.match, labels)) continue;
        out.push({ labels, value: w.peakScore });
      }
      return out;
    }
    case "leak": {
      const trends = await sources.leakTrends(at);
      return trends
        .filter(
          (t) =>
            (rule.spec.controller === undefined || t.controller === rule.spec.controller) &&
            (rule.spec.type === undefined || t.type === rule.spec.type) &&
            t.growing &&
            t.slopePerMinute >= rule.spec.minSlope &&
            t.growingForMs >= rule.spec.sustainedMs,
        )
        .map((t) => {
          const labels: Labels = { controller: t.controller, type: t.type };
          if (t.instance) labels.instance = t.instance;
          return { labels, value: t.slopePerMinute };
        });
    }
    case "absent": {
      const age = await sources.lastSampleAge(rule.spec.query, at, rule.spec.forMs);
      if (age !== null && age <= rule.spec.forMs) return [];
      // Like Prometheus absent(): the labels are the query's equality matchers.
      const labels: Labels = {};
      for (const m of rule.spec.query.matchers) if (m.op === "=") labels[m.name] = m.value;
      return [{ labels, value: 1 }];
    }
  }
}

/**
 * Turns condition samples into alert candidates: sample labels, then the rule's
 * (templated) labels, then `alertname` = rule name; annotations templated with the
 * sample's labels and value. Duplicate label sets keep the first sample.
 */
export function buildCandidates(rule: AlertRuleDefinition, samples: InstantSample[], externalURL?: string): AlertCandidate[] {
  const seen = new Set<string>();
  const out: AlertCandidate[] = [];
  for (const sample of samples) {
    const data = { labels: sample.labels, value: sample.value, externalURL };
    const labels: Labels = { ...sample.labels };
    for (const [name, text] of Object.entries(rule.labels)) labels[name] = expandTemplate(text, data);
    labels.alertname = rule.name;
    const annotations: Labels = {};
    for (const [name, text] of Object.entries(rule.annotations)) annotations[name] = expandTemplate(text, data);
    const normalized = normalizeLabels(labels);
    const key = JSON.stringify(normalized);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ labels: normalized, annotations, value: sample.value });
  }
  return out;
}
