import { Counter, Gauge, type Registry } from "prom-client";
import { RECONCILE_REASONS, type ReconcileReason } from "../controller/reason";
import type { WorkQueueMetrics } from "../workqueue/metrics";
import { CellHistogram } from "./cell-histogram";
import { HistogramCell } from "./histogram-cell";

/** controller-runtime's workqueue buckets: ExponentialBuckets(10e-9, 10, 12) = 1e-8 … 1000 s. */
export const WORKQUEUE_BUCKETS: readonly number[] = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1, 10, 100, 1000];

/** controller-runtime's 40 reconcile-time buckets, 5 ms … 60 s. */
export const RECONCILE_TIME_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0,
  3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];

/** The `result` label of controller_runtime_reconcile_total (all four always exported). */
export const RECONCILE_RESULT_LABELS = ["success", "error", "requeue", "requeue_after"] as const;
export type ReconcileResultLabel = (typeof RECONCILE_RESULT_LABELS)[number];

/**
 * The numbers behind one controller's (or one named queue's) series, as plain fields.
 * The work queue and the controller write here on their hot paths; the registry reads
 * them at scrape time. It is also the work queue's {@link WorkQueueMetrics}.
 */
export class ControllerMetrics implements WorkQueueMetrics {
  depth = 0;
  adds = 0;
  retries = 0;
  unfinishedSeconds = 0;
  longestRunningSeconds = 0;
  delayedItems = 0;
  readonly queueDuration = new HistogramCell(WORKQUEUE_BUCKETS);
  readonly workDuration = new HistogramCell(WORKQUEUE_BUCKETS);

  /** Whether a controller (not only a queue) reports here: gates the controller_runtime_* series. */
  isController = false;
  /** Whether the controller has a reconcile timeout: gates the timeouts series. */
  timeoutsEnabled = false;
  readonly results: Record<ReconcileResultLabel, number> = { success: 0, error: 0, requeue: 0, requeue_after: 0 };
  errors = 0;
  terminalErrors = 0;
  panics = 0;
  timeouts = 0;
  readonly reconcileTime = new HistogramCell(RECONCILE_TIME_BUCKETS);
  maxConcurrentReconciles = 0;
  activeWorkers = 0;
  readonly reasons = Object.fromEntries(RECONCILE_REASONS.map((reason) => [reason, 0])) as Record<ReconcileReason, number>;

  constructor(readonly name: string) {}

  /** Zeroes the point-in-time values (gauges) when a new queue takes over these cells. */
  resetGauges(): void {
    this.depth = 0;
    this.unfinishedSeconds = 0;
    this.longestRunningSeconds = 0;
    this.delayedItems = 0;
    this.activeWorkers = 0;
  }

  add(): void {
    this.adds += 1;
    this.depth += 1;
  }

  get(queuedSeconds: number): void {
    this.depth -= 1;
    this.queueDuration.observe(queuedSeconds);
  }

  done(workSeconds: number): void {
    this.workDuration.observe(workSeconds);
  }

  retry(): void {
    this.retries += 1;
  }

  unfinishedWork(unfinishedSeconds: number, longestRunningSeconds: number): void {
    this.unfinishedSeconds = unfinishedSeconds;
    this.longestRunningSeconds = longestRunningSeconds;
  }

  delayed(waiting: number): void {
    this.delayedItems = waiting;
  }
}

type Holder = { __loopscopeRuntimeMetrics?: WeakMap<Registry, RuntimeMetrics> };

/**
 * controller-runtime's metrics, registered once per prom-client registry and labelled
 * per controller: the same names, types, labels and buckets as
 * sigs.k8s.io/controller-runtime (pkg/internal/metrics/workqueue.go and
 * pkg/internal/controller/metrics/metrics.go), so existing dashboards work unchanged,
 * plus `workqueue_delayed_items` and `loopscope_reconcile_reasons_total`.
 */
export class RuntimeMetrics {
  private readonly cells = new Map<string, ControllerMetrics>();

  /** The metrics of `registry`, registering them on first use. */
  static of(registry: Registry): RuntimeMetrics {
    // On globalThis so a second copy of this module (Next.js route bundles) finds them too.
    const holder = globalThis as Holder;
    holder.__loopscopeRuntimeMetrics ??= new WeakMap();
    let metrics = holder.__loopscopeRuntimeMetrics.get(registry);
    if (!metrics) {
      metrics = new RuntimeMetrics(registry);
      holder.__loopscopeRuntimeMetrics.set(registry, metrics);
    }
    return metrics;
  }

  private constructor(registry: Registry) {
    const cells = this.cells;
    const registers = [registry];
    const queueLabels = ["name", "controller"] as const;
    const all = () => cells.values();
    const controllers = function* () {
      for (const cell of cells.values()) if (cell.isController) yield cell;
    };

    const queueGauge = (name: string, help: string, read: (cell: ControllerMetrics) => number) =>
      new Gauge({
        name,
        help,
        labelNames: queueLabels,
        registers,
        collect() {
          this.reset();
          for (const cell of all()) this.set({ name: cell.name, controller: cell.name }, read(cell));
        },
      });
    const queueCounter = (name: string, help: string, read: (cell: ControllerMetrics) => number) =>
      new Counter({
        name,
        help,
        labelNames: queueLabels,
        registers,
        collect() {
          this.reset();
          for (const cell of all()) this.inc({ name: cell.name, controller: cell.name }, read(cell));
        },
      });
    const controllerCounter = (name: string, help: string, read: (cell: ControllerMetrics) => number, only = (_cell: ControllerMetrics) => true) =>
      new Counter({
        name,
        help,
        labelNames: ["controller"],
        registers,
        collect() {
          this.reset();
          for (const cell of controllers()) if (only(cell)) this.inc({ controller: cell.name }, read(cell));
        },
      });
    const controllerGauge = (name: string, help: string, read: (cell: ControllerMetrics) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ["controller"],
        registers,
        collect() {
          this.reset();
          for (const cell of controllers()) this.set({ controller: cell.name }, read(cell));
        },
      });

    new Gauge({
      name: "workqueue_depth",
      help: "Current depth of workqueue",
      labelNames: ["name", "controller", "priority"],
      registers,
      collect() {
        this.reset();
        for (const cell of all()) this.set({ name: cell.name, controller: cell.name, priority: "" }, cell.depth);
      },
    });
    queueCounter("workqueue_adds_total", "Total number of adds handled by workqueue", (cell) => cell.adds);
    new CellHistogram({
      name: "workqueue_queue_duration_seconds",
      help: "How long in seconds an item stays in workqueue before being requested",
      labelNames: queueLabels,
      buckets: WORKQUEUE_BUCKETS,
      registers,
      series: function* () {
        for (const cell of all()) yield { labels: { name: cell.name, controller: cell.name }, cell: cell.queueDuration };
      },
    });
    new CellHistogram({
      name: "workqueue_work_duration_seconds",
      help: "How long in seconds processing an item from workqueue takes.",
      labelNames: queueLabels,
      buckets: WORKQUEUE_BUCKETS,
      registers,
      series: function* () {
        for (const cell of all()) yield { labels: { name: cell.name, controller: cell.name }, cell: cell.workDuration };
      },
    });
    queueGauge(
      "workqueue_unfinished_work_seconds",
      "How many seconds of work has been done that is in progress and hasn't been observed by work_duration. Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate at which this increases.",
      (cell) => cell.unfinishedSeconds,
    );
    queueGauge(
      "workqueue_longest_running_processor_seconds",
      "How many seconds has the longest running processor for workqueue been running.",
      (cell) => cell.longestRunningSeconds,
    );
    queueCounter("workqueue_retries_total", "Total number of retries handled by workqueue", (cell) => cell.retries);
    queueGauge(
      "workqueue_delayed_items",
      "Number of items waiting in the workqueue's delay heap (added with AddAfter or AddRateLimited and not yet ready)",
      (cell) => cell.delayedItems,
    );

    new Counter({
      name: "controller_runtime_reconcile_total",
      help: "Total number of reconciliations per controller",
      labelNames: ["controller", "result"],
      registers,
      collect() {
        this.reset();
        for (const cell of controllers()) {
          for (const result of RECONCILE_RESULT_LABELS) this.inc({ controller: cell.name, result }, cell.results[result]);
        }
      },
    });
    controllerCounter("controller_runtime_reconcile_errors_total", "Total number of reconciliation errors per controller", (cell) => cell.errors);
    controllerCounter(
      "controller_runtime_terminal_reconcile_errors_total",
      "Total number of terminal reconciliation errors per controller",
      (cell) => cell.terminalErrors,
    );
    controllerCounter("controller_runtime_reconcile_panics_total", "Total number of reconciliation panics per controller", (cell) => cell.panics);
    controllerCounter(
      "controller_runtime_reconcile_timeouts_total",
      "Total number of reconciliation timeouts per controller",
      (cell) => cell.timeouts,
      (cell) => cell.timeoutsEnabled,
    );
    new CellHistogram({
      name: "controller_runtime_reconcile_time_seconds",
      help: "Length of time per reconciliation per controller",
      labelNames: ["controller"],
      buckets: RECONCILE_TIME_BUCKETS,
      registers,
      series: function* () {
        for (const cell of controllers()) yield { labels: { controller: cell.name }, cell: cell.reconcileTime };
      },
    });
    controllerGauge("controller_runtime_max_concurrent_reconciles", "Maximum number of concurrent reconciles per controller", (cell) => cell.maxConcurrentReconciles);
    controllerGauge("controller_runtime_active_workers", "Number of currently used workers per controller", (cell) => cell.activeWorkers);
    new Counter({
      name: "loopscope_reconcile_reasons_total",
      help: "Total number of reconciliations per controller by the reason they were requested (object-added, object-updated, object-deleted, resync, requeue, requeue-after, error-backoff)",
      labelNames: ["controller", "reason"],
      registers,
      collect() {
        this.reset();
        for (const cell of controllers()) {
          for (const reason of RECONCILE_REASONS) this.inc({ controller: cell.name, reason }, cell.reasons[reason]);
        }
      },
    });
  }

  /** The cells of a named work queue (labels name = controller = `name`). */
  queue(name: string): ControllerMetrics {
    let cell = this.cells.get(name);
    if (!cell) {
      cell = new ControllerMetrics(name);
      this.cells.set(name, cell);
    }
    return cell;
  }

  /** The cells of a controller; a controller re-created under the same name keeps its counters. */
  controller(name: string): ControllerMetrics {
    const cell = this.queue(name);
    cell.isController = true;
    return cell;
  }

  /** Stops exporting `name` (its series disappear from the next scrape). */
  forget(name: string): void {
    this.cells.delete(name);
  }
}
