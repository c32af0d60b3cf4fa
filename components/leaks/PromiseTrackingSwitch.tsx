"use client";

import { formatRatio, type LeakTrackerCost, leakTrackerCost } from "../../shared/leak-tracker-cost";

export interface PromiseTrackingSwitchProps {
  enabled: boolean;
  /** Pending promises tracked now (deep mode only). */
  trackedPromises: number | null;
  /** Full garbage collections the process ran since tracking was switched on (null when off). */
  fullCollections?: number | null;
  busy?: boolean;
  onChange: (enabled: boolean) => void;
  /** The measured cost to show (default: what `npm run bench:leaks` last recorded). */
  cost?: LeakTrackerCost | null;
}

/**
 * Promise tracking (the tracker's deep mode: V8's promise hooks) on or off, with its cost
 * next to the switch: the reconcile-throughput ratios `npm run bench:leaks` last recorded
 * (shared/leak-tracker-cost.json), with when and on what they were measured.
 */
export function PromiseTrackingSwitch({ enabled, trackedPromises, fullCollections = null, busy = false, onChange, cost = leakTrackerCost }: PromiseTrackingSwitchProps) {
  return (
    <div className="control-group" data-testid="promise-tracking" data-enabled={enabled}>
      <label className="control-label">
        <input type="checkbox" checked={enabled} disabled={busy} onChange={(e) => onChange(e.target.checked)} /> Track promises
      </label>
      <small className="muted">
        {enabled ? `On: ${trackedPromises ?? 0} pending promises tracked, judged after the process's own full garbage collections (${fullCollections ?? 0} so far; none is forced). ` : "Off. "}
        <span data-testid="promise-tracking-cost">
          {cost
            ? `Cost: reconciles run at ${formatRatio(cost.ratioDeep)} speed while on, ${formatRatio(cost.ratioDefault)} with it off (${formatRatio(cost.agentProcessRatioDeep)} and ${formatRatio(cost.agentProcessRatioDefault)} in a service running the agent), as measured by npm run bench:leaks on ${cost.measuredAt.slice(0, 10)} (${cost.cpus} cores, Node ${cost.node}).`
            : "Cost: not measured yet (npm run bench:leaks records it)."}
        </span>
      </small>
    </div>
  );
}
