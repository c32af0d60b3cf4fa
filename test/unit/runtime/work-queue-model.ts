/**
 * A reference model of client-go's util/workqueue (queue.go, delaying_queue.go,
 * rate_limiting_queue.go, default_rate_limiters.go), written from their source for the
 * model-based test. It is deliberately naive: plain arrays and maps, no heap, no timers.
 *
 * - Add: ignored while shutting down or when the key is dirty; otherwise counted
 *   (adds, depth), marked dirty, and queued unless it is being processed.
 * - Get: hands out the oldest queued key (dirty → processing); shutdown once the queue
 *   is empty and shutting down; otherwise waits (waiters are served in order).
 * - Done: the key leaves processing; if it became dirty meanwhile it is queued again.
 *   A drain completes when nothing is processing.
 * - AddAfter: ignored while shutting down; otherwise counted as a retry; a delay ≤ 0 adds
 *   at once; a waiting key keeps the earlier deadline. Ready keys are added in deadline
 *   order (equal deadlines in the order they were set). Shutdown drops waiting keys.
 * - AddRateLimited: AddAfter(key, min(base·2^failures, cap)), recording a failure even
 *   when shutting down; Forget clears the key's failures; NumRequeues reads them.
 * One deliberate difference: Done of a key that is not being processed does nothing here
 * (client-go would queue a dirty key a second time).
 */
export type Handout = { shutdown: false; key: string } | { shutdown: true };
export type DrainResult = "pending" | boolean;

export class WorkQueueModel {
  now = 0;
  readonly queue: string[] = [];
  readonly dirty = new Set<string>();
  readonly processing = new Set<string>();
  readonly waiting = new Map<string, { at: number; seq: number }>();
  readonly failures = new Map<string, number>();
  /** What each async `get` received, in the order they resolved. */
  readonly received: Handout[] = [];
  readonly drains: DrainResult[] = [];
  shutting = false;
  adds = 0;
  retries = 0;
  private waiters = 0;
  private seq = 0;

  constructor(
    readonly baseDelayMs: number,
    readonly maxDelayMs: number,
  ) {}

  add(key: string): void {
    if (this.shutting || this.dirty.has(key)) return;
    this.adds += 1;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /** A synchronous get: the key, shutdown, or undefined when it would wait. */
  tryGet(): Handout | undefined {
    const key = this.queue.shift();
    if (key !== undefined) return this.take(key);
    return this.shutting ? { shutdown: true } : undefined;
  }

  /** An async get: resolves now, or later when a key or shutdown arrives. */
  get(): void {
    const now = this.tryGet();
    if (now) this.received.push(now);
    else this.waiters += 1;
  }

  done(key: string): void {
    if (!this.processing.delete(key)) return;
    if (this.dirty.has(key)) this.push(key);
    if (this.processing.size === 0) this.settleDrains(true);
  }

  addAfter(key: string, delayMs: number): void {
    if (this.shutting) return;
    this.retries += 1;
    if (!(delayMs > 0)) {
      this.add(key);
      return;
    }
    const at = this.now + delayMs;
    const existing = this.waiting.get(key);
    if (existing && existing.at <= at) return;
    this.waiting.set(key, { at, seq: this.seq++ });
  }

  /** Returns the delay the rate limiter gave. */
  addRateLimited(key: string): number {
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    const delay = Math.min(this.baseDelayMs * 2 ** failures, this.maxDelayMs);
    this.addAfter(key, delay);
    return delay;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  advance(ms: number): void {
    const target = this.now + ms;
    const ready = [...this.waiting].filter(([, w]) => w.at <= target).sort(([, a], [, b]) => a.at - b.at || a.seq - b.seq);
    for (const [key, w] of ready) {
      this.now = w.at;
      this.waiting.delete(key);
      this.add(key);
    }
    this.now = target;
  }

  shutDown(): void {
    this.stopAccepting();
    this.settleDrains(this.processing.size === 0);
  }

  shutDownWithDrain(): void {
    this.stopAccepting();
    this.drains.push(this.processing.size === 0 ? true : "pending");
  }

  private stopAccepting(): void {
    this.shutting = true;
    this.waiting.clear();
    for (; this.waiters > 0; this.waiters -= 1) this.received.push({ shutdown: true });
  }

  private push(key: string): void {
    if (this.waiters > 0) {
      this.waiters -= 1;
      this.received.push(this.take(key));
    } else {
      this.queue.push(key);
    }
  }

  private take(key: string): Handout {
    this.dirty.delete(key);
    this.processing.add(key);
    return { shutdown: false, key };
  }

  private settleDrains(drained: boolean): void {
    for (let i = 0; i < this.drains.length; i += 1) if (this.drains[i] === "pending") this.drains[i] = drained;
  }
}
