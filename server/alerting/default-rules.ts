import { type AlertRuleDefinition, parseRule } from "./rule-schema";

/** Reconcile errors per second (5-minute rate) above which ReconcileErrors fires. */
export const RECONCILE_ERROR_STORM_PER_S = 0.05;

/**
 * The built-in rules for one controller, in the spirit of the kubebuilder / kube-prometheus
 * controller alerts. They are stored with builtin=true, created when missing and never
 * overwritten afterwards, so a user's edits stick.
 */
export function defaultRulesFor(controller: string): AlertRuleDefinition[] {
  const byController = [{ name: "controller", op: "=" as const, value: controller }];
  return [
    parseRule({
      name: `QueueBackingUp/${controller}`,
      kind: "threshold",
      spec: {
        query: { metric: "workqueue_depth", matchers: byController, fn: "raw", agg: "max", by: ["controller"] },
        comparator: ">",
        value: 100,
      },
      for: "2m",
      keepFiringFor: "1m",
      interval: "15s",
      labels: { severity: "warning", controller },
      annotations: {
        summary: "The work queue of {{ $labels.controller }} is backing up",
        description: "workqueue_depth of {{ $labels.controller }} has stayed above 100 for 2 minutes (now {{ $value | humanize }}).",
      },
    }),
    parseRule({
      name: `QueueGrowing/${controller}`,
      kind: "threshold",
      spec: {
        query: { metric: "workqueue_depth", matchers: byController, fn: "deriv", rangeMs: "5m", agg: "max", by: ["controller"] },
        comparator: ">",
        value: 0.5,
      },
      for: "5m",
      interval: "30s",
      labels: { severity: "warning", controller },
      annotations: {
        summary: "The work queue of {{ $labels.controller }} keeps growing",
        description: "workqueue_depth of {{ $labels.controller }} has grown by {{ $value | humanize }} items/s (5-minute trend) for 5 minutes.",
      },
    }),
    parseRule({
      name: `ReconcileErrors/${controller}`,
      kind: "threshold",
      spec: {
        query: { metric: "controller_runtime_reconcile_errors_total", matchers: byController, fn: "rate", rangeMs: "5m", agg: "sum", by: ["controller"] },
        // Every busy controller fails a few reconciles (optimistic-lock conflicts, webhooks
        // timing out) and retries them; `> 0` would fire on that forever. A storm is more than
        // 15 failed reconciles in 5 minutes, sustained for 2 minutes.
        comparator: ">",
        value: RECONCILE_ERROR_STORM_PER_S,
      },
      for: "2m",
      interval: "15s",
      labels: { severity: "warning", controller },
      annotations: {
        summary: "{{ $labels.controller }} is failing reconciles",
        description: "Reconcile errors of {{ $labels.controller }}: {{ $value | humanize }}/s over the last 5 minutes (a storm: above 0.05/s, several times the few retried conflicts of a healthy controller), for at least 2 minutes.",
      },
    }),
    parseRule({
      name: `StuckWorker/${controller}`,
      kind: "threshold",
      spec: {
        query: { metric: "workqueue_longest_running_processor_seconds", matchers: byController, fn: "raw", agg: "max", by: ["controller"] },
        comparator: ">",
        value: 60,
      },
      for: "0s",
      interval: "15s",
      labels: { severity: "critical", controller },
      annotations: {
        summary: "A worker of {{ $labels.controller }} looks stuck",
        description: "The longest-running reconcile of {{ $labels.controller }} has been running for {{ $value | humanizeDuration }}.",
      },
    }),
    parseRule({
      name: `LeakGrowth/${controller}`,
      kind: "leak",
      spec: { controller, minSlope: 1, sustainedMs: "10m" },
      for: "0s",
      interval: "30s",
      labels: { severity: "warning" },
      annotations: {
        summary: "{{ $labels.controller }} is leaking {{ $labels.type }} handles",
        description: "{{ $labels.type }} handles of {{ $labels.controller }} have kept growing for 10 minutes ({{ $value | humanize }}/min).",
      },
    }),
  ];
}

/** Built-in rules for every controller, in a stable order. */
export function defaultRules(controllers: readonly string[]): AlertRuleDefinition[] {
  return [...new Set(controllers)].sort().flatMap(defaultRulesFor);
}
