import { DelayingQueue } from "./delaying-queue";
import type { WorkQueueOptions } from "./queue";
import { defaultControllerRateLimiter, type RateLimiter } from "./rate-limiters";

export interface RateLimitingQueueOptions<K> extends WorkQueueOptions {
  /** Default: defaultControllerRateLimiter() (5 ms → 1000 s per key, 10 qps / burst 100 overall). */
  rateLimiter?: RateLimiter<K>;
}

/**
 * A delaying queue whose retries wait as long as a rate limiter says
 * (client-go's rate-limiting queue). `forget` only clears the key's failure history;
 * the worker must still call `done`.
 */
export class RateLimitingQueue<K = string, R = undefined> extends DelayingQueue<K, R> {
  readonly rateLimiter: RateLimiter<K>;

  constructor(options: RateLimitingQueueOptions<K> = {}) {
    super(options);
    this.rateLimiter = options.rateLimiter ?? defaultControllerRateLimiter<K>({ clock: this.clock });
  }

  /** Adds `key` after the delay the rate limiter gives for it (recording a failure). */
  addRateLimited(key: K, reason?: R): number {
    const delay = this.rateLimiter.when(key);
    this.addAfter(key, delay, reason);
    return delay;
  }

  /** Clears the key's failure history (call it when the key succeeds). */
  forget(key: K): void {
    this.rateLimiter.forget(key);
  }

  /** How many failures are recorded for the key. */
  numRequeues(key: K): number {
    return this.rateLimiter.numRequeues(key);
  }
}
