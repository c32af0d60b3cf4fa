/**
 * Async-handle leak diagnostics: Node's goroutine-leak detector, attributed to the
 * reconcile that leaked. Start a `LeakTracker` (service `leaks`), and have the
 * controller report settlement (`reconcileSettled` or `runReconcile`).
 */
export { type LeakTrend, type LeakTrendOptions, leakTrend, type TrendPoint } from "./leak-trend";
export {
  type LeakDiffEntry,
  type LeakGroupDetail,
  type LeakGroupSummary,
  LeakTracker,
  type LeakTrackerOptions,
  type LeakTrackerStatus,
} from "./leak-tracker";
export { reconcileSettled, runReconcile, SETTLED_UNTIMED, settledAt } from "./reconcile-settlement";
export type { ResourceCountPoint } from "./active-resource-history";
export { BENIGN_TYPES, isBenignType, type TrackedType } from "./resource-types";
