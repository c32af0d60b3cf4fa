import type { Registry } from "prom-client";
import { type Logger, log as rootLog } from "../../log";
import { metricsRegistry } from "../../metrics/registry";
import { type Clock, systemClock, type TimerHandle } from "../clock";
import { newReconcileContext, type ReconcileContext, reconcileContext } from "../context";
import { ControllerMetrics, RuntimeMetrics } from "../metrics/runtime-metrics";
import type { RateLimiter } from "../workqueue/rate-limiters";
import { RateLimitingQueue } from "../workqueue/rate-limiting-queue";
import { HotKeyCounter, WindowCounter } from "./hot-keys";
import type { ReconcileReason } from "./reason";
import { RecentLog } from "./recent-log";
import { RetryLog } from "./retry-log";
import { type ReconcileResult, TerminalError } from "./result";
import type { ControllerState, ControllerStatus, InFlightReconcile, ReconcileErrorKind, ReconcileErrorRecord, RetriedInRange, RetriedKey } from "./state";

/** What a reconcile is given. */
export interface ReconcileRequest {
  readonly controller: string;
  readonly key: string;
  readonly reason: ReconcileReason;
  /** Aborted when the controller stops or the reconcile timeout fires. */
  readonly signal: AbortSignal;
  /** A logger bound to controller, key and reconcileId (created on first use). */
  readonly log: Logger;
  /** Unique in this process; the same id the reconcile context carries. */
  readonly reconcileId: number;
  /** Failed or requeued attempts since the key last succeeded (0 on a first attempt). */
  readonly retries: number;
}

/**
 * A reconcile function. Return a {@link ReconcileResult} (or nothing for `done`).
 * Expected failures are returned (`error(e)`, `terminal(e)`); a throw or rejection is
 * treated as controller-runtime treats a recovered panic: counted in
 * `controller_runtime_reconcile_panics_total` AND as an error, and retried with
 * backoff. Throwing a {@link TerminalError} is a terminal error, not a panic. A throw
 * after the reconcile timeout fired, or caused by the controller stopping, counts as
 * an error only.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a reconcile may simply return nothing for "done"
export type Reconciler = (request: ReconcileRequest) => ReconcileResult | undefined | void | Promise<ReconcileResult | undefined | void>;

export interface ControllerOptions {
  /** Controller name; the `controller` (and workqueue `name`) label. */
  name: string;
  reconcile: Reconciler;
  /** Concurrent workers (controller-runtime's MaxConcurrentReconciles); default 1. */
  maxConcurrentReconciles?: number;
  /** Default: defaultControllerRateLimiter() (5 ms → 1000 s per key, 10 qps / burst 100). */
  rateLimiter?: RateLimiter<string>;
  /** Abort a reconcile's signal after this long and count a timeout; default none. */
  reconcileTimeoutMs?: number;
  /** Registry for the controller-runtime metrics (default the process registry); false = do not export. */
  registry?: Registry | false;
  /** How long `stop` waits for running reconciles (default 10 s). */
  drainTimeoutMs?: number;
  /** A reconcile running longer than this makes the controller `stuck` (default 60 s). */
  stuckAfterMs?: number;
  /** Recent errors kept for the live state (default 50). */
  recentErrors?: number;
  /**
   * Called with the reconcile's context object (the same object the reconcile ran in)
   * as soon as the reconcile returns, throws or rejects; never for one that does not
   * settle. The leak tracker uses it (server/leaks `reconcileSettled`).
   */
  onReconcileSettled?: (context: ReconcileContext) => void;
  clock?: Clock;
  log?: Logger;
}

type Outcome =
  | ReconcileResult
  | { readonly kind: "panic"; readonly error: Error }
  | { readonly kind: "timeout"; readonly error: Error };

interface InFlightRecord {
  reason: ReconcileReason;
  reconcileId: number;
  startedAt: number;
  timedOut: boolean;
  /** The reconcile's own signal source: aborted by its deadline or by `stop`, then dropped with it. */
  abort: AbortController;
}

interface RetryRecord {
  retries: number;
  lastError: string | null;
}

/** Raised into a reconcile's signal when its timeout fires. */
export class ReconcileTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`reconcile did not finish within ${timeoutMs} ms`);
    this.name = "TimeoutError";
  }
}

let lastReconcileId = 0;

/** A new process-unique reconcile id. */
export function nextReconcileId(): number {
  lastReconcileId += 1;
  return lastReconcileId;
}

function asThrownError(error: unknown): Error {
  if (error instanceof Error) return error;
  return new Error(`non-Error thrown: ${typeof error === "string" ? error : String(error)}`);
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === "function";
}

class Request implements ReconcileRequest {
  private logger: Logger | undefined;

  constructor(
    readonly controller: string,
    readonly key: string,
    readonly reason: ReconcileReason,
    readonly signal: AbortSignal,
    readonly reconcileId: number,
    readonly retries: number,
    private readonly baseLog: Logger,
  ) {}

  get log(): Logger {
    this.logger ??= this.baseLog.child({ key: this.key, reconcileId: this.reconcileId });
    return this.logger;
  }
}

/**
 * A controller: a rate-limited work queue of keys and `maxConcurrentReconciles` async
 * workers that reconcile them, with controller-runtime's result semantics and metrics.
 * A key is never reconciled by two workers at once. Each reconcile runs inside
 * `reconcileContext` ({controller, key, reconcileId, startedAt}) so whatever it starts
 * (timers, sockets, promises) can be traced back to it. A reconcile that never settles
 * keeps its worker; it shows in `workqueue_unfinished_work_seconds`,
 * `workqueue_longest_running_processor_seconds` and the live state.
 */
export class Controller {
  readonly name: string;
  readonly maxConcurrentReconciles: number;
  readonly reconcileTimeoutMs: number | null;
  readonly queue: RateLimitingQueue<string, ReconcileReason>;
  readonly metrics: ControllerMetrics;
  private readonly forgetMetrics: () => void;
  private readonly reconciler: Reconciler;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly drainTimeoutMs: number;
  private readonly stuckAfterMs: number;
  private readonly onReconcileSettled: ((context: ReconcileContext) => void) | undefined;
  private stopping = false;
  private readonly inFlight = new Map<string, InFlightRecord>();
  private readonly retried = new Map<string, RetryRecord>();
  private readonly errors: RecentLog<ReconcileErrorRecord>;
  private readonly retryLog = new RetryLog();
  private readonly hotKeys: HotKeyCounter;
  private readonly addsWindow: WindowCounter;
  private readonly reconcilesWindow: WindowCounter;
  private readonly errorsWindow: WindowCounter;
  private currentStatus: ControllerStatus = "created";
  private startedAt: number | null = null;
  private lastReconcileAt: number | null = null;
  private workers: Promise<void>[] = [];

  constructor(options: ControllerOptions) {
    if (!/^[a-zA-Z0-9_.:-]+$/.test(options.name)) throw new Error(`Controller name "${options.name}" must be letters, digits, '_', '.', ':' or '-'`);
    const workers = options.maxConcurrentReconciles ?? 1;
    if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`maxConcurrentReconciles must be a whole number ≥ 1, got ${workers}`);
    if (options.reconcileTimeoutMs !== undefined && !(options.reconcileTimeoutMs > 0)) throw new RangeError("reconcileTimeoutMs must be > 0");
    this.name = options.name;
    this.maxConcurrentReconciles = workers;
    this.reconcileTimeoutMs = options.reconcileTimeoutMs ?? null;
    this.reconciler = options.reconcile;
    this.clock = options.clock ?? systemClock;
    this.log = (options.log ?? rootLog).child({ controller: this.name });
    this.drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
    this.stuckAfterMs = options.stuckAfterMs ?? 60_000;
    this.onReconcileSettled = options.onReconcileSettled;
    const registry = options.registry === undefined ? metricsRegistry() : options.registry;
    this.metrics = registry === false ? new ControllerMetrics(this.name) : RuntimeMetrics.of(registry).controller(this.name);
    this.forgetMetrics = registry === false ? () => {} : () => RuntimeMetrics.of(registry).forget(this.name);
    this.metrics.isController = true;
    this.metrics.resetGauges();
    this.metrics.maxConcurrentReconciles = workers;
    if (this.reconcileTimeoutMs !== null) this.metrics.timeoutsEnabled = true;
    this.queue = new RateLimitingQueue<string, ReconcileReason>({ name: this.name, metrics: this.metrics, clock: this.clock, rateLimiter: options.rateLimiter });
    this.errors = new RecentLog(options.recentErrors ?? 50);
    this.hotKeys = new HotKeyCounter(this.clock);
    this.addsWindow = new WindowCounter(this.clock);
    this.reconcilesWindow = new WindowCounter(this.clock);
    this.errorsWindow = new WindowCounter(this.clock);
  }

  get status(): ControllerStatus {
    return this.currentStatus;
  }

  /** Asks for `key` to be reconciled (deduplicated while it waits). Ignored once stopping. */
  enqueue(key: string, reason: ReconcileReason = "object-updated"): void {
    if (this.queue.shuttingDown()) return;
    this.hotKeys.record(key);
    this.addsWindow.add();
    this.queue.add(key, reason);
  }

  /** Asks for `key` to be reconciled in `delayMs` (an earlier pending deadline wins). */
  enqueueAfter(key: string, delayMs: number, reason: ReconcileReason = "requeue-after"): void {
    if (this.queue.shuttingDown()) return;
    this.hotKeys.record(key);
    this.addsWindow.add();
    this.queue.addAfter(key, delayMs, reason);
  }

  /** Starts the workers. Keys enqueued before start are reconciled then. */
  start(): void {
    if (this.currentStatus !== "created") return;
    this.currentStatus = "running";
    this.startedAt = Date.now();
    // Workers run outside any caller's reconcile context.
    for (let i = 0; i < this.maxConcurrentReconciles; i += 1) this.workers.push(reconcileContext.exit(() => this.runWorker()));
    this.log.info({ workers: this.maxConcurrentReconciles }, "controller started");
  }

  /**
   * Stops: no new keys are accepted or started (queued keys are dropped), running
   * reconciles see their signal aborted, and this waits up to `drainTimeoutMs` for them
   * to settle. Reconciles that still have not settled are abandoned (logged).
   * Resolves true when every reconcile settled.
   */
  async stop(drainTimeoutMs = this.drainTimeoutMs): Promise<boolean> {
    if (this.currentStatus === "stopped" || this.currentStatus === "stopping") return this.inFlight.size === 0;
    const wasRunning = this.currentStatus === "running";
    this.currentStatus = "stopping";
    this.stopping = true;
    const reason = new DOMException("the controller is stopping", "AbortError");
    for (const record of this.inFlight.values()) record.abort.abort(reason);
    const drained = await this.queue.shutDownWithDrain(drainTimeoutMs);
    this.currentStatus = "stopped";
    // A stopped controller (this replica stepped down, or is shutting down) exports nothing:
    // its gauges would otherwise show stuck workers forever, and the recorder marks the
    // vanished series stale so sums across replicas stop counting this one.
    this.forgetMetrics();
    if (!drained) this.log.warn({ stuck: [...this.inFlight.keys()], drainTimeoutMs }, "controller stopped with reconciles still running; they are abandoned");
    else if (wasRunning) this.log.info("controller stopped");
    return drained;
  }

  /** Keys retried within [from, to] (epoch ms), most retried first, even if they have since succeeded. */
  retriedBetween(from: number, to: number, limit = 20): RetriedInRange[] {
    return this.retryLog.between(from, to, limit);
  }

  /** The live state for the UI. `limit` bounds each list (default 20). */
  state(options: { limit?: number } = {}): ControllerState {
    const limit = options.limit ?? 20;
    const now = this.clock.now();
    const m = this.metrics;
    const processing: InFlightReconcile[] = [...this.inFlight]
      .map(([key, record]) => ({ key, reason: record.reason, reconcileId: record.reconcileId, runningMs: now - record.startedAt, timedOut: record.timedOut }))
      .sort((a, b) => b.runningMs - a.runningMs);
    const topRetried: RetriedKey[] = [...this.retried]
      .sort((a, b) => b[1].retries - a[1].retries || a[0].localeCompare(b[0]))
      .slice(0, limit)
      .map(([key, record]) => {
        const readyAt = this.queue.readyAt(key);
        return { key, retries: record.retries, lastError: record.lastError, nextRetryInMs: readyAt === undefined ? null : Math.max(0, readyAt - now) };
      });
    const oldest = this.queue.oldestQueuedAt();
    const oldestQueuedAgeMs = oldest === undefined ? null : now - oldest;
    const reconcilesLastMinute = this.reconcilesWindow.total();
    const errorsLastMinute = this.errorsWindow.total();
    const healthReasons: string[] = [];
    const stuck = processing.filter((p) => p.runningMs >= this.stuckAfterMs);
    if (stuck.length > 0) healthReasons.push(`${stuck.length} reconcile(s) running longer than ${Math.round(this.stuckAfterMs / 1000)} s (${stuck[0].key})`);
    if (errorsLastMinute >= 3 && errorsLastMinute / Math.max(1, reconcilesLastMinute) >= 0.1) {
      healthReasons.push(`${Math.round((100 * errorsLastMinute) / Math.max(1, reconcilesLastMinute))}% of reconciles failed in the last minute`);
    }
    if (oldestQueuedAgeMs !== null && oldestQueuedAgeMs >= 30_000) healthReasons.push(`oldest queued key has waited ${Math.round(oldestQueuedAgeMs / 1000)} s`);
    const reconciles = m.results.success + m.results.error + m.results.requeue + m.results.requeue_after;
    return {
      name: this.name,
      status: this.currentStatus,
      health: stuck.length > 0 ? "stuck" : healthReasons.length > 0 ? "degraded" : "healthy",
      healthReasons,
      stuckAfterMs: this.stuckAfterMs,
      startedAt: this.startedAt,
      workers: { busy: m.activeWorkers, max: this.maxConcurrentReconciles },
      reconcileTimeoutMs: this.reconcileTimeoutMs,
      queue: {
        depth: this.queue.depth(),
        length: this.queue.len(),
        delayed: this.queue.delayedCount(),
        processing: this.queue.processingCount(),
        oldestQueuedAgeMs,
      },
      processing: processing.slice(0, limit),
      topRetried,
      hotKeys: this.hotKeys.top(limit).map(({ key, count }) => ({ key, adds: count })),
      recentErrors: this.errors.newest(limit),
      lastMinute: { reconciles: reconcilesLastMinute, errors: errorsLastMinute, adds: this.addsWindow.total() },
      totals: {
        adds: m.adds,
        retries: m.retries,
        reconciles,
        success: m.results.success,
        error: m.results.error,
        requeue: m.results.requeue,
        requeueAfter: m.results.requeue_after,
        errors: m.errors,
        terminalErrors: m.terminalErrors,
        panics: m.panics,
        timeouts: m.timeouts,
      },
      reasons: { ...m.reasons },
      lastReconcileAt: this.lastReconcileAt,
    };
  }

  private async runWorker(): Promise<void> {
    for (;;) {
      // Take a queued key without a promise round-trip when there is one.
      const item = this.queue.tryGet() ?? (await this.queue.get());
      if (item.shutdown) return;
      if (this.currentStatus !== "running") {
        this.queue.done(item.key);
        continue;
      }
      try {
        await this.reconcileKey(item.key, item.reason ?? "object-updated");
      } catch (error) {
        // Only a bug in the handling below lands here; keep the worker alive.
        this.log.error({ err: error, key: item.key }, "controller worker failed while handling a result");
        this.queue.done(item.key);
      }
    }
  }

  private async reconcileKey(key: string, reason: ReconcileReason): Promise<void> {
    const m = this.metrics;
    m.activeWorkers += 1;
    m.reasons[reason] += 1;
    const reconcileId = nextReconcileId();
    const startedAt = this.clock.now();
    const timeoutMs = this.reconcileTimeoutMs;
    // Each reconcile gets its own signal, aborted by its deadline or by `stop`, so a
    // listener it forgets dies with it (no shared long-lived signal, no AbortSignal.any).
    const abort = new AbortController();
    const record: InFlightRecord = { reason, reconcileId, startedAt, timedOut: false, abort };
    this.inFlight.set(key, record);
    const signal = abort.signal;
    let timer: TimerHandle | undefined;
    if (timeoutMs !== null) {
      timer = this.clock.setTimer(() => {
        timer = undefined;
        record.timedOut = true;
        m.timeouts += 1;
        this.log.warn({ key, reconcileId, timeoutMs }, "reconcile timed out; its signal is aborted");
        abort.abort(new ReconcileTimeoutError(timeoutMs));
      }, timeoutMs);
    }
    const request = new Request(this.name, key, reason, signal, reconcileId, this.retried.get(key)?.retries ?? 0, this.log);
    const context = newReconcileContext(this.name, key, reconcileId);
    let outcome: Outcome;
    try {
      const value = reconcileContext.run(context, this.reconciler, request);
      const result = isThenable(value) ? await value : value;
      this.settled(context);
      // As controller-runtime: what the reconcile returned counts, even after its deadline.
      outcome = result ?? { kind: "done" };
    } catch (thrown) {
      this.settled(context);
      if (thrown instanceof TerminalError) outcome = { kind: "terminal", error: thrown };
      else if (record.timedOut) outcome = { kind: "timeout", error: new ReconcileTimeoutError(timeoutMs ?? 0) };
      else if (this.stopping) outcome = { kind: "error", error: asThrownError(thrown) };
      else outcome = { kind: "panic", error: asThrownError(thrown) };
    }
    if (timer !== undefined) this.clock.clearTimer(timer);
    m.reconcileTime.observe((this.clock.now() - startedAt) / 1000);
    try {
      this.handle(key, reason, reconcileId, outcome);
    } finally {
      this.inFlight.delete(key);
      this.lastReconcileAt = Date.now();
      this.reconcilesWindow.add();
      m.activeWorkers -= 1;
      this.queue.done(key);
    }
  }

  private settled(context: ReconcileContext): void {
    if (!this.onReconcileSettled) return;
    try {
      this.onReconcileSettled(context);
    } catch (error) {
      this.log.error({ err: error }, "onReconcileSettled hook failed");
    }
  }

  /** controller-runtime's reconcileHandler: counters, requeues and backoff. */
  private handle(key: string, reason: ReconcileReason, reconcileId: number, outcome: Outcome): void {
    const m = this.metrics;
    switch (outcome.kind) {
      case "done":
        m.results.success += 1;
        this.forgetFailures(key);
        return;
      case "requeueAfter":
        // Result{RequeueAfter: 0} is a plain success in controller-runtime: no requeue.
        if (!(outcome.afterMs > 0)) {
          m.results.success += 1;
          this.forgetFailures(key);
          return;
        }
        m.results.requeue_after += 1;
        this.forgetFailures(key);
        this.queue.addAfter(key, outcome.afterMs, "requeue-after");
        return;
      case "requeue":
        m.results.requeue += 1;
        this.retry(key, null);
        this.queue.addRateLimited(key, "requeue");
        return;
      case "terminal":
        m.results.error += 1;
        m.errors += 1;
        m.terminalErrors += 1;
        this.failed(key, reason, reconcileId, "terminal", outcome.error);
        // Not retried, so its failure history goes too: numRequeues and retries agree.
        this.forgetFailures(key);
        return;
      case "error":
      case "panic":
      case "timeout":
        m.results.error += 1;
        m.errors += 1;
        if (outcome.kind === "panic") m.panics += 1;
        this.failed(key, reason, reconcileId, outcome.kind, outcome.error);
        this.retry(key, outcome.error.message);
        this.queue.addRateLimited(key, "error-backoff");
        return;
    }
  }

  private forgetFailures(key: string): void {
    this.queue.forget(key);
    this.retried.delete(key);
  }

  private retry(key: string, lastError: string | null): void {
    this.retryLog.record({ at: Date.now(), key, error: lastError });
    const record = this.retried.get(key);
    if (record) {
      record.retries += 1;
      record.lastError = lastError ?? record.lastError;
    } else {
      this.retried.set(key, { retries: 1, lastError });
    }
  }

  private failed(key: string, reason: ReconcileReason, reconcileId: number, kind: ReconcileErrorKind, error: Error): void {
    this.errorsWindow.add();
    this.errors.push({ at: Date.now(), key, reconcileId, reason, kind, message: error.message });
    this.log.debug({ key, reconcileId, kind, err: error.message }, "reconcile failed");
  }
}
