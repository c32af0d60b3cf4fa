/**
 * The controller runtime's public surface: client-go-style work queues and rate
 * limiters, controllers with controller-runtime semantics and metrics, the runtime
 * that routes source events to them. The demo cluster (server/demo) is built on it like
 * any other operator; it is not part of this surface.
 */
export { type Clock, ManualClock, systemClock, type TimerHandle } from "./clock";
export { currentReconcile, type ReconcileContext, reconcileContext } from "./context";
export {
  Controller,
  type ControllerOptions,
  nextReconcileId,
  type Reconciler,
  type ReconcileRequest,
  ReconcileTimeoutError,
} from "./controller/controller";
export { RECONCILE_REASONS, type ReconcileReason, reasonForEvent } from "./controller/reason";
export { done, error, type ReconcileResult, reconcileResult, requeue, requeueAfter, TerminalError, terminal } from "./controller/result";
export type { ControllerHealth, ControllerState, ControllerStatus, InFlightReconcile, ReconcileErrorRecord, RetriedKey } from "./controller/state";
export { ControllerMetrics, RECONCILE_TIME_BUCKETS, RuntimeMetrics, WORKQUEUE_BUCKETS } from "./metrics/runtime-metrics";
export {
  ControllerRuntime,
  type ControllerRuntimeOptions,
  type FaultInjectingSource,
  type FaultReport,
  type FaultWindow,
  isFaultInjecting,
  type RuntimeState,
} from "./runtime";
export type { EventSource, ObjectEvent, ObjectEventSink, ObjectEventType, WatchHealth } from "./source";
export { DelayingQueue } from "./workqueue/delaying-queue";
export type { WorkQueueMetrics } from "./workqueue/metrics";
export { type QueueItem, WorkQueue, type WorkQueueOptions } from "./workqueue/queue";
export {
  defaultControllerRateLimiter,
  ItemExponentialRateLimiter,
  ItemFastSlowRateLimiter,
  MaxOfRateLimiter,
  MaxWaitRateLimiter,
  type RateLimiter,
  TokenBucketRateLimiter,
} from "./workqueue/rate-limiters";
export { RateLimitingQueue, type RateLimitingQueueOptions } from "./workqueue/rate-limiting-queue";
