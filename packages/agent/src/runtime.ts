/**
 * Loopscope's controller runtime for operator authors: client-go-style work queues and
 * rate limiters, controllers with controller-runtime semantics and Prometheus metrics,
 * the runtime that routes source events to them, and the reconcile context the leak
 * tracker attributes resources by. (The demo cluster stays in Loopscope.)
 */
export { type Clock, ManualClock, systemClock, type TimerHandle } from "../../../server/runtime/clock";
export { currentReconcile, type ReconcileContext, reconcileContext } from "../../../server/runtime/context";
export { Controller, type ControllerOptions, type Reconciler, type ReconcileRequest, ReconcileTimeoutError } from "../../../server/runtime/controller/controller";
export { done, error, type ReconcileResult, requeue, requeueAfter, TerminalError, terminal } from "../../../server/runtime/controller/result";
export { ControllerMetrics, RuntimeMetrics } from "../../../server/runtime/metrics/runtime-metrics";
export { ControllerRuntime, type ControllerRuntimeOptions } from "../../../server/runtime/runtime";
export type { EventSource, ObjectEvent, ObjectEventSink, ObjectEventType } from "../../../server/runtime/source";
export { WorkQueue, type WorkQueueOptions } from "../../../server/runtime/workqueue/queue";
export {
  defaultControllerRateLimiter,
  ItemExponentialRateLimiter,
  ItemFastSlowRateLimiter,
  MaxOfRateLimiter,
  type RateLimiter,
  TokenBucketRateLimiter,
} from "../../../server/runtime/workqueue/rate-limiters";
export { RateLimitingQueue, type RateLimitingQueueOptions } from "../../../server/runtime/workqueue/rate-limiting-queue";
export { runReconcile } from "../../../server/leaks/reconcile-settlement";
