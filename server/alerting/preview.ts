import { buildCandidates, evaluateCondition, thresholdHolds } from "./conditions";
import type { InstantSample, InstantSeries, RuleDataSources } from "./data-sources";
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
  /** Time between two replayed evaluations: the rule's interval unless the range needed more than the step limit. */
  stepMs: number;
  evaluations: number;
  spans: FiringSpan[];
  /** Evaluation errors (first few), e.g. a source that cannot answer for past times. */
  errors: string[];
}

export interface PreviewOptions {
  from: number;
  to: number;
  /**
   * Evaluations at most when the condition is asked one evaluation at a time (rules other than
   * threshold rules, or sources without `queryInstants`); the step grows beyond the rule's interval
   * to respect it.
   */
  maxSteps?: number;
  /**
   * Evaluations at most of a threshold rule whose values are read in bulk (`queryInstants`);
   * default 100 000 (24 h of a 1 s rule). Beyond it the step grows.
   */
  maxBulkSteps?: number;
  /** Parallel condition queries (the state machine itself runs in order). */
  concurrency?: number;
}

/** One replayed evaluation: the condition's result at `at`, or why it could not be evaluated. */
export interface ReplayedEvaluation {
  at: number;
  result: InstantSample[] | Error;
}

/**
 * The step of a replay: the rule's interval, or the range cut into at most `maxSteps` steps when
 * that is coarser; whole seconds above 1 s, as the query engine steps.
 */
export function replayStep(intervalMs: number, from: number, to: number, maxSteps: number): number {
  const step = Math.max(intervalMs, Math.ceil((to - from) / Math.max(1, maxSteps)));
  return step > 1_000 ? Math.ceil(step / 1_000) * 1_000 : Math.max(1, Math.ceil(step));
}

/** Evaluation times from, from + step, … ≤ to. */
export function replayTimes(from: number, to: number, stepMs: number): number[] {
  const times: number[] = [];
  for (let t = from; t <= to; t += stepMs) times.push(t);
  return times;
}

/**
 * The instant vector at each of `times` (evenly spaced by `stepMs`) from series of values at
 * those times: a series contributes to a time only with a point there (a point off the grid
 * counts for the nearest time within half a step).
 */
export function instantVectorsAt(series: readonly InstantSeries[], times: readonly number[], stepMs: number): InstantSample[][] {
  const vectors: InstantSample[][] = times.map(() => []);
  if (times.length === 0) return vectors;
  const start = times[0];
  for (const s of series) {
    let last = -1;
    for (const [t, value] of s.points) {
      if (!Number.isFinite(value)) continue;
      const i = Math.round((t - start) / stepMs);
      if (i < 0 || i >= times.length || i === last || Math.abs(t - times[i]) * 2 > stepMs) continue;
      last = i;
      vectors[i].push({ labels: s.labels, value });
    }
  }
  return vectors;
}

/**
 * The rule's state machine (the live evaluator's, `evaluateRuleStep`) run over condition results
 * in time order: the firing spans, with their peak values, and the first few errors. An evaluation
 * that failed keeps the alerts as they were, as live evaluation does.
 */
export function replayEvaluations(rule: AlertRuleDefinition, evaluations: readonly ReplayedEvaluation[]): { spans: FiringSpan[]; errors: string[] } {
  const errors: string[] = [];
  const open = new Map<string, FiringSpan>();
  const spans: FiringSpan[] = [];
  let alerts = new Map<string, RuleAlert>();
  for (const { at, result } of evaluations) {
    if (result instanceof Error) {
      if (errors.length < 5) errors.push(`${new Date(at).toISOString()}: ${result.message}`);
      continue;
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
  }
  return { spans, errors };
}

/** A threshold rule's condition at every evaluation time, from its query's values read in bulk. */
async function bulkThresholdEvaluations(
  rule: Extract<AlertRuleDefinition, { kind: "threshold" }>,
  queryInstants: NonNullable<RuleDataSources["queryInstants"]>,
  times: number[],
  stepMs: number,
): Promise<ReplayedEvaluation[]> {
  const series = await queryInstants(rule.spec.query, times[0], times[times.length - 1], stepMs);
  return instantVectorsAt(series, times, stepMs).map((vector, i) => ({ at: times[i], result: thresholdHolds(rule.spec, vector) }));
}

/** The condition asked at each time, `concurrency` at a time. */
async function steppedEvaluations(rule: AlertRuleDefinition, sources: RuleDataSources, times: number[], concurrency: number): Promise<ReplayedEvaluation[]> {
  const results: ReplayedEvaluation[] = new Array(times.length);
  let next = 0;
  const worker = async () => {
    while (next < times.length) {
      const i = next++;
      try {
        results[i] = { at: times[i], result: await evaluateCondition(rule, sources, times[i]) };
      } catch (error) {
        results[i] = { at: times[i], result: error instanceof Error ? error : new Error(String(error)) };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return results;
}

function formatStep(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return ms % 1_000 === 0 ? `${ms / 1_000}s` : `${ms}ms`;
}

/**
 * Replays the rule over [from, to] with the same condition code and state machine as live
 * evaluation, and returns when it would have fired. A threshold rule is replayed at its own
 * evaluation interval, as Prometheus would have evaluated it, from its query's values at every
 * evaluation time read in bulk (`queryInstants`), so a spike that lasts past `for` fires however
 * short it is against the range; other rules (and sources without `queryInstants`, or a bulk read
 * that fails) are asked one evaluation at a time at most `maxSteps` times.
 */
export async function previewRule(rule: AlertRuleDefinition, sources: RuleDataSources, options: PreviewOptions): Promise<RulePreview> {
  const notes: string[] = [];
  if (rule.kind === "threshold" && sources.queryInstants) {
    const stepMs = replayStep(rule.intervalMs, options.from, options.to, options.maxBulkSteps ?? 100_000);
    const times = replayTimes(options.from, options.to, stepMs);
    try {
      const evaluations = await bulkThresholdEvaluations(rule, sources.queryInstants.bind(sources), times, stepMs);
      const { spans, errors } = replayEvaluations(rule, evaluations);
      return { from: options.from, to: options.to, stepMs, evaluations: times.length, spans, errors };
    } catch (error) {
      notes.push(`could not read the query at every ${formatStep(stepMs)} evaluation (${error instanceof Error ? error.message : String(error)}); replayed at coarser steps`);
    }
  }
  const maxSteps = options.maxSteps ?? 288; // 5-minute steps over 24 h: a preview answers in seconds
  const stepMs = Math.max(rule.intervalMs, Math.ceil((options.to - options.from) / maxSteps));
  const times = replayTimes(options.from, options.to, stepMs);
  const evaluations = await steppedEvaluations(rule, sources, times, options.concurrency ?? 8);
  const { spans, errors } = replayEvaluations(rule, evaluations);
  return { from: options.from, to: options.to, stepMs, evaluations: times.length, spans, errors: [...notes, ...errors] };
}
