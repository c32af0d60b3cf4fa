import { type Clock, systemClock, type TimerHandle } from "../clock";
import { Fifo } from "./fifo";
import { UNFINISHED_WORK_UPDATE_PERIOD_MS, type WorkQueueMetrics } from "./metrics";

/** What `get` hands a worker: a key (with the reason it was added) or the shutdown signal. */
export type QueueItem<K, R> =
  | { readonly shutdown: false; readonly key: K; readonly reason: R | undefined }
  | { readonly shutdown: true; readonly key: undefined; readonly reason: undefined };

/** A key being processed and since when (clock milliseconds). */
export interface InFlight<K> {
  key: K;
  startedAt: number;
}

export interface WorkQueueOptions {
  /** The queue's name; the metrics label it. */
  name?: string;
  /** Where to report; without it the queue takes no timestamps at all. */
  metrics?: WorkQueueMetrics;
  clock?: Clock;
  /** How often the in-flight gauges are refreshed (default 500 ms, client-go's updatePeriod). */
  unfinishedWorkUpdatePeriodMs?: number;
}

interface DirtyEntry<R> {
  reason: R | undefined;
  addedAt: number;
}

const SHUTDOWN = Object.freeze({ shutdown: true, key: undefined, reason: undefined }) as QueueItem<never, never>;

/**
 * A work queue with client-go's guarantees (util/workqueue, `Typed[T]`):
 * - Fair: keys are handed out in the order they became dirty.
 * - Stingy: a key is never handed to two workers at once, and any number of adds of a
 *   key before it is processed collapse to one. A key added while it is processed is
 *   marked dirty and handed out again after `done`.
 * - `get` waits for a key; after `shutDown` it still returns the keys already queued
 *   and reports shutdown only once the queue is empty.
 *
 * Each key may carry a reason (R): the reason recorded is the one given by the add that
 * made the key dirty; later adds that collapse into it do not replace it.
 */
export class WorkQueue<K = string, R = undefined> {
  readonly name: string;
  protected readonly clock: Clock;
  protected readonly metrics: WorkQueueMetrics | undefined;
  private readonly queue = new Fifo<K>();
  private readonly dirty = new Map<K, DirtyEntry<R>>();
  private readonly processing = new Map<K, number>();
  private readonly waiters = new Fifo<(item: QueueItem<K, R>) => void>(16);
  private drainWaiters: ((drained: boolean) => void)[] = [];
  private shutting = false;
  private draining = false;
  private unfinishedTimer: TimerHandle | undefined;
  private readonly unfinishedWorkUpdatePeriodMs: number;

  constructor(options: WorkQueueOptions = {}) {
    this.name = options.name ?? "";
    this.clock = options.clock ?? systemClock;
    this.metrics = options.metrics;
    this.unfinishedWorkUpdatePeriodMs = options.unfinishedWorkUpdatePeriodMs ?? UNFINISHED_WORK_UPDATE_PERIOD_MS;
    if (!(this.unfinishedWorkUpdatePeriodMs > 0)) throw new RangeError("unfinishedWorkUpdatePeriodMs must be > 0");
    if (this.metrics) this.scheduleUnfinishedWorkUpdate();
  }

  /**
   * Marks `key` as needing processing. A no-op when the key is already dirty or the
   * queue is shutting down. Returns true when the key newly became dirty.
   */
  add(key: K, reason?: R): boolean {
    if (this.shutting || this.dirty.has(key)) return false;
    const metrics = this.metrics;
    const now = metrics ? this.clock.now() : 0;
    this.dirty.set(key, { reason, addedAt: now });
    if (metrics) metrics.add();
    if (this.processing.has(key)) return true;
    // Waiters exist only while the queue is empty, so handing the key over directly keeps FIFO order.
    const waiter = this.waiters.shift();
    if (waiter) waiter(this.take(key, now));
    else this.queue.push(key);
    return true;
  }

  /** Waits for the next key, or for shutdown once the queue is empty. */
  get(): Promise<QueueItem<K, R>> {
    if (this.queue.length > 0) return Promise.resolve(this.take(this.queue.shift() as K));
    if (this.shutting) return Promise.resolve(SHUTDOWN);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Like `get` without waiting: undefined when nothing is queued and not shutting down. */
  tryGet(): QueueItem<K, R> | undefined {
    if (this.queue.length > 0) return this.take(this.queue.shift() as K);
    return this.shutting ? SHUTDOWN : undefined;
  }

  /**
   * Marks the processing of `key` finished. If it was added meanwhile it is queued
   * again. Calling it for a key that is not being processed does nothing.
   */
  done(key: K): void {
    const startedAt = this.processing.get(key);
    if (startedAt === undefined) return;
    if (this.metrics) this.metrics.done((this.clock.now() - startedAt) / 1000);
    this.processing.delete(key);
    if (this.dirty.has(key)) this.enqueue(key);
    // As in client-go, a drain waits for the processing set only, not for the queue.
    if (this.draining && this.processing.size === 0) this.finishDrain(true);
  }

  /** Keys waiting to be handed out (informational; do not gate adds on it). */
  len(): number {
    return this.queue.length;
  }

  /** Dirty keys: queued ones plus those re-added while processed (= workqueue_depth). */
  depth(): number {
    return this.dirty.size;
  }

  processingCount(): number {
    return this.processing.size;
  }

  isDirty(key: K): boolean {
    return this.dirty.has(key);
  }

  isProcessing(key: K): boolean {
    return this.processing.has(key);
  }

  /** Queued keys, oldest first. */
  queuedKeys(): K[] {
    return [...this.queue];
  }

  /** Keys being processed and since when (clock ms; 0 when the queue has no metrics). */
  inFlight(): InFlight<K>[] {
    const result: InFlight<K>[] = [];
    for (const [key, startedAt] of this.processing) result.push({ key, startedAt });
    return result;
  }

  /** When the longest-waiting queued key became dirty (clock ms), if any is queued. */
  oldestQueuedAt(): number | undefined {
    let oldest: number | undefined;
    for (const key of this.queue) {
      const addedAt = this.dirty.get(key)?.addedAt;
      if (addedAt !== undefined && (oldest === undefined || addedAt < oldest)) oldest = addedAt;
    }
    return oldest;
  }

  /** Stops accepting adds; workers still get the keys already queued. Cancels a drain wait. */
  shutDown(): void {
    this.shutting = true;
    this.draining = false;
    this.releaseWaiters();
    this.stopUnfinishedWorkUpdates();
    this.finishDrain(this.processing.size === 0);
  }

  /**
   * Like `shutDown`, then waits until no key is being processed. Resolves true once
   * drained, false when `shutDown` was called or `maxWaitMs` passed first (a worker
   * that never calls `done` would otherwise block this forever, as in client-go).
   */
  shutDownWithDrain(maxWaitMs?: number): Promise<boolean> {
    this.shutting = true;
    this.draining = true;
    this.releaseWaiters();
    if (this.processing.size === 0) {
      this.draining = false;
      this.stopUnfinishedWorkUpdates();
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      let timer: TimerHandle | undefined;
      this.drainWaiters.push((drained) => {
        if (timer !== undefined) this.clock.clearTimer(timer);
        resolve(drained);
      });
      if (maxWaitMs !== undefined) timer = this.clock.setTimer(() => this.shutDown(), maxWaitMs);
    });
  }

  shuttingDown(): boolean {
    return this.shutting;
  }

  private enqueue(key: K): void {
    // Waiters exist only while the queue is empty, so handing the key over directly keeps FIFO order.
    const waiter = this.waiters.shift();
    if (waiter) waiter(this.take(key));
    else this.queue.push(key);
  }

  /** Hands `key` to a worker; `now` may pass a clock reading taken this instant. */
  private take(key: K, now?: number): QueueItem<K, R> {
    const entry = this.dirty.get(key) as DirtyEntry<R>;
    this.dirty.delete(key);
    if (this.metrics) {
      now ??= this.clock.now();
      this.processing.set(key, now);
      this.metrics.get((now - entry.addedAt) / 1000);
    } else {
      this.processing.set(key, 0);
    }
    return { shutdown: false, key, reason: entry.reason };
  }

  private releaseWaiters(): void {
    for (let waiter = this.waiters.shift(); waiter; waiter = this.waiters.shift()) waiter(SHUTDOWN);
  }

  private finishDrain(drained: boolean): void {
    const waiters = this.drainWaiters;
    if (waiters.length === 0) return;
    this.drainWaiters = [];
    this.draining = false;
    this.stopUnfinishedWorkUpdates();
    for (const waiter of waiters) waiter(drained);
  }

  private scheduleUnfinishedWorkUpdate(): void {
    this.unfinishedTimer = this.clock.setTimer(() => {
      this.updateUnfinishedWork();
      if (this.unfinishedTimer !== undefined) this.scheduleUnfinishedWorkUpdate();
    }, this.unfinishedWorkUpdatePeriodMs);
  }

  private stopUnfinishedWorkUpdates(): void {
    if (this.unfinishedTimer === undefined) return;
    this.clock.clearTimer(this.unfinishedTimer);
    this.unfinishedTimer = undefined;
    this.updateUnfinishedWork();
  }

  /** Sums and maxes the ages of in-flight keys (client-go's updateUnfinishedWork). */
  protected updateUnfinishedWork(): void {
    if (!this.metrics) return;
    const now = this.clock.now();
    let total = 0;
    let longest = 0;
    for (const startedAt of this.processing.values()) {
      const age = (now - startedAt) / 1000;
      total += age;
      if (age > longest) longest = age;
    }
    this.metrics.unfinishedWork(total, longest);
  }
}
