import { type Clock, systemClock } from "../clock";

/**
 * Decides how long a key waits before it is retried (client-go's RateLimiter).
 * `when` records a failure and returns the delay in milliseconds; `forget` clears a
 * key's failure history (call it when the key succeeds, or the history is kept for
 * ever); `numRequeues` is how many failures are recorded for the key.
 */
export interface RateLimiter<K = string> {
  when(key: K): number;
  forget(key: K): void;
  numRequeues(key: K): number;
}

/**
 * Per-key exponential backoff: base·2^failures, capped at `maxDelayMs`
 * (client-go's ItemExponentialFailureRateLimiter). Defaults are controller-runtime's
 * classic-queue values: 5 ms base, 1000 s cap (the 18th failure, n=17, waits 655 s).
 */
export class ItemExponentialRateLimiter<K = string> implements RateLimiter<K> {
  private readonly failures = new Map<K, number>();

  constructor(
    readonly baseDelayMs = 5,
    readonly maxDelayMs = 1_000_000,
  ) {
    if (!(baseDelayMs >= 0) || !(maxDelayMs >= 0)) throw new RangeError("ItemExponentialRateLimiter needs a base and a cap of 0 ms or more");
  }

  when(key: K): number {
    const exponent = this.failures.get(key) ?? 0;
    this.failures.set(key, exponent + 1);
    const backoff = this.baseDelayMs * 2 ** exponent;
    if (!Number.isFinite(backoff) || backoff > this.maxDelayMs) return this.maxDelayMs;
    return backoff;
  }

  forget(key: K): void {
    this.failures.delete(key);
  }

  numRequeues(key: K): number {
    return this.failures.get(key) ?? 0;
  }

  /** Keys with a recorded failure history. */
  trackedKeys(): number {
    return this.failures.size;
  }
}

/**
 * An overall (not per-key) token bucket: `qps` tokens per second, at most `burst`
 * stored, starting full. `when` reserves one token and returns how long until it is
 * available, so reservations queue up behind each other (golang.org/x/time/rate
 * `Reserve().Delay()`, as client-go's BucketRateLimiter uses it). Defaults: 10 qps,
 * burst 100.
 */
export class TokenBucketRateLimiter<K = string> implements RateLimiter<K> {
  private tokens: number;
  private last: number;

  constructor(
    readonly qps = 10,
    readonly burst = 100,
    private readonly clock: Clock = systemClock,
  ) {
    if (!(qps > 0) || !(burst >= 1)) throw new RangeError("TokenBucketRateLimiter needs qps > 0 and burst ≥ 1");
    this.tokens = burst;
    this.last = clock.now();
  }

  when(_key: K): number {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.last);
    let tokens = Math.min(this.burst, this.tokens + (elapsed / 1000) * this.qps);
    tokens -= 1;
    this.tokens = tokens;
    this.last = Math.max(this.last, now);
    return tokens >= 0 ? 0 : (-tokens / this.qps) * 1000;
  }

  forget(_key: K): void {}

  numRequeues(_key: K): number {
    return 0;
  }
}

/**
 * Fast retries first, then slow ones: `fastDelayMs` for the first `maxFastAttempts`
 * failures of a key, `slowDelayMs` after (client-go's ItemFastSlowRateLimiter).
 */
export class ItemFastSlowRateLimiter<K = string> implements RateLimiter<K> {
  private readonly failures = new Map<K, number>();

  constructor(
    readonly fastDelayMs: number,
    readonly slowDelayMs: number,
    readonly maxFastAttempts: number,
  ) {}

  when(key: K): number {
    const attempts = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, attempts);
    return attempts <= this.maxFastAttempts ? this.fastDelayMs : this.slowDelayMs;
  }

  forget(key: K): void {
    this.failures.delete(key);
  }

  numRequeues(key: K): number {
    return this.failures.get(key) ?? 0;
  }
}

/**
 * The largest delay of several limiters. Every limiter is asked on every `when` (so
 * each records the failure or spends a token) and told every `forget`
 * (client-go's MaxOfRateLimiter).
 */
export class MaxOfRateLimiter<K = string> implements RateLimiter<K> {
  readonly limiters: readonly RateLimiter<K>[];

  constructor(...limiters: RateLimiter<K>[]) {
    if (limiters.length === 0) throw new RangeError("MaxOfRateLimiter needs at least one limiter");
    this.limiters = limiters;
  }

  when(key: K): number {
    let max = 0;
    for (const limiter of this.limiters) max = Math.max(max, limiter.when(key));
    return max;
  }

  forget(key: K): void {
    for (const limiter of this.limiters) limiter.forget(key);
  }

  numRequeues(key: K): number {
    let max = 0;
    for (const limiter of this.limiters) max = Math.max(max, limiter.numRequeues(key));
    return max;
  }
}

/** Caps another limiter's delay at `maxDelayMs` (client-go's WithMaxWaitRateLimiter). */
export class MaxWaitRateLimiter<K = string> implements RateLimiter<K> {
  constructor(
    readonly limiter: RateLimiter<K>,
    readonly maxDelayMs: number,
  ) {}

  when(key: K): number {
    return Math.min(this.limiter.when(key), this.maxDelayMs);
  }

  forget(key: K): void {
    this.limiter.forget(key);
  }

  numRequeues(key: K): number {
    return this.limiter.numRequeues(key);
  }
}

export interface ControllerRateLimiterOptions {
  /** Per-key backoff base (default 5 ms). */
  baseDelayMs?: number;
  /** Per-key backoff cap (default 1000 s). */
  maxDelayMs?: number;
  /** Overall retry rate (default 10 per second). */
  qps?: number;
  /** Overall retry burst (default 100). */
  burst?: number;
  clock?: Clock;
}

/**
 * client-go's DefaultControllerRateLimiter: the larger of per-key exponential backoff
 * (5 ms → 1000 s) and an overall token bucket (10 qps, burst 100).
 */
export function defaultControllerRateLimiter<K = string>(options: ControllerRateLimiterOptions = {}): MaxOfRateLimiter<K> {
  return new MaxOfRateLimiter<K>(
    new ItemExponentialRateLimiter<K>(options.baseDelayMs ?? 5, options.maxDelayMs ?? 1_000_000),
    new TokenBucketRateLimiter<K>(options.qps ?? 10, options.burst ?? 100, options.clock ?? systemClock),
  );
}
