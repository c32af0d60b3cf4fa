import { SELF_JOB } from "../recorder/sample";
import { type AlertRuleDefinition, parseRule } from "./rule-schema";

/** Reconcile errors per second (5-minute rate) above which ReconcileErrors fires. */
export const RECONCILE_ERROR_STORM_PER_S = 0.05;

/**
 * The built-in rules, in the spirit of the kubebuilder / kube-prometheus controller
 * alerts: one rule per condition over every built-in controller (Loopscope's own
 * series, job="loopscope"), so `alertname` is the condition (`StuckWorker`) and the
 * controller is a label — grouping and silencing by alertname need no regex, as with
 * Prometheus's own rules. Stored with builtin=true, created when missing and never
 * overwritten afterwards, so a user's edits stick.
 */
export function builtinRules(): AlertRuleDefinition[] {
  const ownSeries = [{ name: "job", op: "=" as const, value: SELF_JOB }];
  return [
    parseRule({
      name: "QueueBackingUp",
      kind: "threshold",
      spec: {
        query: { metric: "workqueue_depth", matchers: ownSeries, fn: "raw", agg: "max", by: ["controller"] },
        comparator: ">",
        value: 100,
      },
      for: "2m",
      keepFiringFor: "1m",
      interval: "15s",
      labels: { severity: "warning" },
      annotations: {
        summary: "The work queue of {{ $labels.controller }} is backing up",
        description: "workqueue_depth of {{ $labels.controller }} has stayed above 100 for 2 minutes (now {{ $value | humanize }}).",
      },
    }),
    parseRule({
      name: "QueueGrowing",
      kind: "threshold",
      spec: {
        query: { metric: "workqueue_depth", matchers: ownSeries, fn: "deriv", rangeMs: "5m", agg: "max", by: ["controller"] },
        comparator: ">",
        value: 0.5,
      },
      for: "5m",
      interval: "30s",
      labels: { severity: "warning" },
      annotations: {
        summary: "The work queue of {{ $labels.controller }} keeps growing",
        description: "workqueue_depth of {{ $labels.controller }} has grown by {{ $value | humanize }} items/s (5-minute trend) for 5 minutes.",
      },
    }),
    parseRule({
      name: "ReconcileErrors",
      kind: "threshold",
      spec: {
        query: { metric: "controller_runtime_reconcile_errors_total", matchers: ownSeries, fn: "rate", rangeMs: "5m", agg: "sum", by: ["controller"] },
        // Every busy controller fails a few reconciles (optimistic-lock conflicts, webhooks
        // timing out) and retries them; `> 0` would fire on that forever. A storm is more than
        // 15 failed reconciles in 5 minutes, sustained for 2 minutes.
        comparator: ">",
        value: RECONCILE_ERROR_STORM_PER_S,
      },
      for: "2m",
      interval: "15s",
      labels: { severity: "warning" },
      annotations: {
        summary: "{{ $labels.controller }} is failing reconciles",
        description: "Reconcile errors of {{ $labels.controller }}: {{ $value | humanize }}/s over the last 5 minutes (a storm: above 0.05/s, several times the few retried conflicts of a healthy controller), for at least 2 minutes.",
      },
    }),
    parseRule({
      name: "StuckWorker",
      kind: "threshold",
      spec: {
        query: { metric: "workqueue_longest_running_processor_seconds", matchers: ownSeries, fn: "raw", agg: "max", by: ["controller"] },
        comparator: ">",
        value: 60,
      },
      for: "0s",
      interval: "15s",
      labels: { severity: "critical" },
      annotations: {
        summary: "A worker of {{ $labels.controller }} looks stuck",
        description: "The longest-running reconcile of {{ $labels.controller }} has been running for {{ $value | humanizeDuration }}.",
      },
    }),
    parseRule({
      name: "LeakGrowth",
      kind: "leak",
      spec: { minSlope: 0.5, sustainedMs: "0s" },
      for: "0s",
      interval: "30s",
      labels: { severity: "warning" },
      annotations: {
        summary: "{{ $labels.controller }} is leaking {{ $labels.type }} resources",
        description: "{{ $labels.type }} resources of {{ $labels.controller }} keep growing ({{ $value | humanize }}/min), by the leak trend test (for a scraped target: its go_goroutines or process_open_fds).",
      },
    }),
  ];
}

/** The built-in rules once there is a built-in controller to watch (none otherwise). */
export function defaultRules(controllers: readonly string[]): AlertRuleDefinition[] {
  return controllers.length > 0 ? builtinRules() : [];
}
