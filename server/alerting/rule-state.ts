import type { AlertCandidate } from "./conditions";
import { fingerprint, type Labels } from "./labels";

/** How long a resolved alert is kept (and re-sent as resolved), as Prometheus' resolvedRetention. */
export const RESOLVED_RETENTION_MS = 15 * 60_000;

export type AlertStatus = "pending" | "firing" | "resolved";

/** One alert of a rule: its identity, current status and the times Prometheus tracks. */
export interface RuleAlert {
  fingerprint: string;
  labels: Labels;
  annotations: Labels;
  value: number;
  status: AlertStatus;
  /** When the condition became true (the alert became pending). */
  activeAt: number;
  firedAt?: number;
  resolvedAt?: number;
  /** The last evaluation at which the condition held. */
  lastTrueAt: number;
  /** First evaluation at which a firing alert's condition no longer held (keep_firing_for). */
  keepFiringSince?: number;
}

/** A state change, appended to alert_events. `inactive` = a pending alert dropped before firing. */
export interface AlertTransition {
  fingerprint: string;
  labels: Labels;
  state: "pending" | "firing" | "resolved" | "inactive";
  value: number;
  at: number;
}

export interface RuleTiming {
  forMs: number;
  keepFiringForMs: number;
}

export interface EvaluationStep {
  alerts: Map<string, RuleAlert>;
  transitions: AlertTransition[];
  /** Fingerprints that were dropped (pending gone, or resolved past retention). */
  removed: string[];
}

/**
 * One evaluation of a rule with Prometheus alerting semantics, as a pure function of
 * the previous alerts, the condition's result and the evaluation time:
 * - a new label set becomes pending; it fires once it has been active for `for`
 *   (with `for` 0 it fires at once);
 * - a pending alert whose series disappears is deleted (never reported);
 * - a firing alert whose series disappears keeps firing for `keep_firing_for`
 *   (counted from the first evaluation without it), then resolves;
 * - a resolved alert is kept for 15 min (so it is re-sent as resolved), then deleted;
 *   if the condition holds again it starts over as a new pending alert.
 */
export function evaluateRuleStep(
  previous: ReadonlyMap<string, RuleAlert>,
  candidates: readonly AlertCandidate[],
  timing: RuleTiming,
  at: number,
): EvaluationStep {
  const alerts = new Map<string, RuleAlert>();
  const transitions: AlertTransition[] = [];
  const removed: string[] = [];
  const present = new Set<string>();

  for (const candidate of candidates) {
    const fp = fingerprint(candidate.labels);
    if (present.has(fp)) continue;
    present.add(fp);
    const old = previous.get(fp);
    if (old && old.status !== "resolved") {
      alerts.set(fp, { ...old, value: candidate.value, annotations: candidate.annotations, lastTrueAt: at, keepFiringSince: undefined });
    } else {
      alerts.set(fp, {
        fingerprint: fp,
        labels: candidate.labels,
        annotations: candidate.annotations,
        value: candidate.value,
        status: "pending",
        activeAt: at,
        lastTrueAt: at,
      });
    }
  }

  for (const [fp, old] of previous) {
    if (present.has(fp)) continue;
    let keepFiring = false;
    let keepFiringSince = old.keepFiringSince;
    if (old.status === "firing" && timing.keepFiringForMs > 0) {
      keepFiringSince ??= at;
      keepFiring = at - keepFiringSince < timing.keepFiringForMs;
    }
    if (keepFiring) {
      alerts.set(fp, { ...old, keepFiringSince });
      continue;
    }
    if (old.status === "pending") {
      removed.push(fp);
      transitions.push({ fingerprint: fp, labels: old.labels, state: "inactive", value: old.value, at });
      continue;
    }
    if (old.status === "resolved") {
      if (old.resolvedAt !== undefined && at - old.resolvedAt > RESOLVED_RETENTION_MS) removed.push(fp);
      else alerts.set(fp, old);
      continue;
    }
    alerts.set(fp, { ...old, status: "resolved", resolvedAt: at, keepFiringSince: undefined });
    transitions.push({ fingerprint: fp, labels: old.labels, state: "resolved", value: old.value, at });
  }

  for (const [fp, alert] of alerts) {
    if (!present.has(fp)) continue;
    const old = previous.get(fp);
    const isNew = alert.status === "pending" && (!old || old.status === "resolved");
    if (alert.status === "pending" && at - alert.activeAt >= timing.forMs) {
      alert.status = "firing";
      alert.firedAt = at;
      transitions.push({ fingerprint: fp, labels: alert.labels, state: "firing", value: alert.value, at });
    } else if (isNew) {
      transitions.push({ fingerprint: fp, labels: alert.labels, state: "pending", value: alert.value, at });
    }
  }
  return { alerts, transitions, removed };
}
