import type { ReconcileReason } from "./reason";

/** Lifecycle of a controller. */
export type ControllerStatus = "created" | "running" | "stopping" | "stopped";

/**
 * At-a-glance health: `stuck` when a reconcile has run longer than the stuck
 * threshold, `degraded` when many reconciles fail or queued keys wait long, else
 * `healthy`. `healthReasons` says which.
 */
export type ControllerHealth = "healthy" | "degraded" | "stuck";

export interface InFlightReconcile {
  key: string;
  reason: ReconcileReason;
  reconcileId: number;
  runningMs: number;
  /** The reconcile timeout fired and the reconcile has not settled yet. */
  timedOut: boolean;
}

export interface RetriedKey {
  key: string;
  /** Consecutive failed or requeued reconciles since the key last succeeded. */
  retries: number;
  lastError: string | null;
  /** When the key is due again, if it waits in the delay heap. */
  nextRetryInMs: number | null;
}

/** A key retried (failed or requeued) at one moment, for "keys retried in a range". */
export interface RetryEvent {
  /** Epoch milliseconds. */
  at: number;
  key: string;
  /** The error's message; null for a plain requeue. */
  error: string | null;
}

/** A key retried within a range: how often, when last, and the last error. */
export interface RetriedInRange {
  key: string;
  retries: number;
  lastAt: number;
  lastError: string | null;
}

export type ReconcileErrorKind = "error" | "terminal" | "panic" | "timeout";

export interface ReconcileErrorRecord {
  /** Epoch milliseconds. */
  at: number;
  key: string;
  reconcileId: number;
  reason: ReconcileReason;
  kind: ReconcileErrorKind;
  message: string;
}

export interface HotKey {
  key: string;
  /** Adds (including deduplicated ones) in the last minute. */
  adds: number;
}

export interface ControllerState {
  name: string;
  status: ControllerStatus;
  health: ControllerHealth;
  healthReasons: string[];
  /** A reconcile running at least this long counts as a stuck worker. */
  stuckAfterMs: number;
  /** Epoch ms when started, null before. */
  startedAt: number | null;
  workers: { busy: number; max: number };
  reconcileTimeoutMs: number | null;
  queue: {
    /** Dirty keys (= workqueue_depth). */
    depth: number;
    /** Keys waiting for a worker. */
    length: number;
    /** Keys waiting in the delay heap (= workqueue_delayed_items). */
    delayed: number;
    processing: number;
    oldestQueuedAgeMs: number | null;
  };
  processing: InFlightReconcile[];
  topRetried: RetriedKey[];
  hotKeys: HotKey[];
  recentErrors: ReconcileErrorRecord[];
  lastMinute: { reconciles: number; errors: number; adds: number };
  totals: {
    adds: number;
    retries: number;
    reconciles: number;
    success: number;
    error: number;
    requeue: number;
    requeueAfter: number;
    errors: number;
    terminalErrors: number;
    panics: number;
    timeouts: number;
  };
  reasons: Record<ReconcileReason, number>;
  /** Epoch ms of the last finished reconcile. */
  lastReconcileAt: number | null;
}
