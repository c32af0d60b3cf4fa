import { buildCandidates, evaluateCondition } from "./conditions";
import type { InstantSample, RuleDataSources } from "./data-sources";
import type { Labels } from "./labels";
import type { AlertRuleDefinition } from "./rule-schema";
import { evaluateRuleStep, type RuleAlert } from "./rule-state";

/** A time range during which one alert of the rule would have been firing. */
export interface FiringSpan {
  fingerprint: string;
  labels: Labels;
  start: number;
  /** null when still firing at the end of the previewed range. */
  end: number | null;
  peakValue: number;
}

export interface RulePreview {
  from: number;
  to: number;
  stepMs: number;
  evaluations: number;
  spans: FiringSpan[];
  /** Evaluation errors (first few), e.g. a source that cannot answer for past times. */
  errors: string[];
}

export interface PreviewOptions {
  from: number;
  to: number;
  /** Upper bound on evaluations; the step grows beyond the rule's interval to respect it. */
  maxSteps?: number;
  /** Parallel condition queries (the state machine itself runs in order). */
  concurrency?: number;
}

/**
 * Replays the rule over [from, to] at its evaluation interval (or a coarser step when
 * the range would need more than `maxSteps` evaluations) with the same condition code
 * and state machine as live evaluation, and returns when it would have fired.
 */
export async function previewRule(rule: AlertRuleDefinition, sources: RuleDataSources, options: PreviewOptions): Promise<RulePreview> {
  const maxSteps = options.maxSteps ?? 288; // 5-minute steps over 24 h: a preview answers in seconds
  const stepMs = Math.max(rule.intervalMs, Math.ceil((options.to - options.from) / maxSteps));
  const times: number[] = [];
  for (let t = options.from; t <= options.to; t += stepMs) times.push(t);

  const results: (InstantSample[] | Error)[] = new Array(times.length);
  let next = 0;
  const worker = async () => {
    while (next < times.length) {
      const i = next++;
      try {
        results[i] = await evaluateCondition(rule, sources, times[i]);
      } catch (error) {
        results[i] = error instanceof Error ? error : new Error(String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, worker));

  const errors: string[] = [];
  const open = new Map<string, FiringSpan>();
  const spans: FiringSpan[] = [];
  let alerts = new Map<string, RuleAlert>();
  times.forEach((at, i) => {
    const result = results[i];
    if (result instanceof Error) {
      if (errors.length < 5) errors.push(`${new Date(at).toISOString()}: ${result.message}`);
      return;
    }
    const step = evaluateRuleStep(alerts, buildCandidates(rule, result), rule, at);
    alerts = step.alerts;
    for (const t of step.transitions) {
      if (t.state === "firing") {
        const span: FiringSpan = { fingerprint: t.fingerprint, labels: t.labels, start: at, end: null, peakValue: t.value };
        open.set(t.fingerprint, span);
        spans.push(span);
      } else if (t.state === "resolved") {
        const span = open.get(t.fingerprint);
        if (span) span.end = at;
        open.delete(t.fingerprint);
      }
    }
    for (const [fp, span] of open) {
      const alert = alerts.get(fp);
      if (alert && alert.value > span.peakValue) span.peakValue = alert.value;
    }
  });
  return { from: options.from, to: options.to, stepMs, evaluations: times.length, spans, errors };
}
