import type { TimerHandle } from "../clock";
import { DelayHeap } from "./delay-heap";
import { WorkQueue, type WorkQueueOptions } from "./queue";

/**
 * A work queue that can add a key later (client-go's delaying queue). Waiting keys sit
 * in ONE min-heap served by ONE timer armed for the earliest deadline, so a million
 * waiting keys cost one timer. A key scheduled twice keeps the earlier deadline.
 * Every `addAfter` counts as a retry, as client-go counts every AddAfter. Waiting keys
 * are dropped on shutdown.
 */
export class DelayingQueue<K = string, R = undefined> extends WorkQueue<K, R> {
  private readonly waiting = new DelayHeap<K, R>();
  private timer: TimerHandle | undefined;
  private timerAt = Number.POSITIVE_INFINITY;

  constructor(options: WorkQueueOptions = {}) {
    super(options);
  }

  /** Adds `key` once `delayMs` has passed (at once when delayMs ≤ 0). Ignored when shutting down. */
  addAfter(key: K, delayMs: number, reason?: R): void {
    if (this.shuttingDown()) return;
    this.metrics?.retry();
    if (!(delayMs > 0)) {
      this.add(key, reason);
      return;
    }
    const readyAt = this.clock.now() + delayMs;
    if (!this.waiting.schedule(key, readyAt, reason)) return;
    this.metrics?.delayed(this.waiting.size);
    if (readyAt < this.timerAt) this.arm(readyAt);
  }

  /** Keys waiting in the delay heap (= workqueue_delayed_items). */
  delayedCount(): number {
    return this.waiting.size;
  }

  /** When `key` will be added, if it is waiting (clock ms). */
  readyAt(key: K): number | undefined {
    return this.waiting.readyAt(key);
  }

  override shutDown(): void {
    this.dropWaiting();
    super.shutDown();
  }

  override shutDownWithDrain(maxWaitMs?: number): Promise<boolean> {
    this.dropWaiting();
    return super.shutDownWithDrain(maxWaitMs);
  }

  private arm(at: number): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timerAt = at;
    this.timer = this.clock.setTimer(() => this.fire(), at - this.clock.now());
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    // Node may fire up to a millisecond early by the monotonic clock; such keys re-arm the timer.
    const now = this.clock.now();
    let moved = 0;
    for (let entry = this.waiting.popReady(now); entry; entry = this.waiting.popReady(now)) {
      moved += 1;
      this.add(entry.key, entry.reason);
    }
    if (moved > 0) this.metrics?.delayed(this.waiting.size);
    const next = this.waiting.peek();
    if (next) this.arm(next.readyAt);
  }

  private dropWaiting(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    if (this.waiting.size > 0) {
      this.waiting.clear();
      this.metrics?.delayed(0);
    }
  }
}
