/**
 * The reconnect backoff of a watch, as client-go's reflector and kube-rs's watcher do
 * it: the base delay starts at 800 ms and doubles up to 30 s; each wait adds a random
 * jitter of up to `jitter` × base (client-go `wait.Jitter(d, 1.0)`, kube-rs
 * `with_jitter()`), so restarts of many watches spread out instead of storming the API
 * server; and the base falls back to the start once no backoff was needed for
 * `resetAfterMs` (120 s), i.e. after a healthy stretch.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** Fraction of the base added at random (0 = no jitter). */
  jitter: number;
  resetAfterMs: number;
  /** Uniform [0, 1) source, injectable for tests. */
  random: () => number;
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  initialMs: 800,
  maxMs: 30_000,
  factor: 2,
  jitter: 1,
  resetAfterMs: 120_000,
  random: Math.random,
};

export class WatchBackoff {
  private readonly options: BackoffOptions;
  private baseMs: number;
  private lastBackoffAt: number | null = null;

  constructor(options: Partial<BackoffOptions> = {}) {
    this.options = { ...DEFAULT_BACKOFF, ...options };
    if (!(this.options.initialMs > 0) || this.options.maxMs < this.options.initialMs || this.options.factor < 1) {
      throw new RangeError(
        `Invalid watch backoff: initial ${this.options.initialMs} ms, max ${this.options.maxMs} ms, factor ${this.options.factor}; need 0 < initial <= max and factor >= 1.`,
      );
    }
    this.baseMs = this.options.initialMs;
  }

  /** The delay before the next attempt, counting this as one more failure at `now`. */
  next(now: number): number {
    if (this.lastBackoffAt !== null && now - this.lastBackoffAt >= this.options.resetAfterMs) this.reset();
    const base = this.baseMs;
    this.baseMs = Math.min(this.options.maxMs, base * this.options.factor);
    this.lastBackoffAt = now;
    return Math.round(base + base * this.options.jitter * this.options.random());
  }

  /** Back to the initial delay. */
  reset(): void {
    this.baseMs = this.options.initialMs;
    this.lastBackoffAt = null;
  }

  /** The base delay the next failure would start from (before jitter and reset). */
  currentBaseMs(): number {
    return this.baseMs;
  }
}
