/**
 * Sliding-window rate limiter per key (e.g. client address): at most `limit` attempts in any
 * `windowMs`. Memory is bounded: keys whose attempts all fell out of the window are dropped.
 */
export class RateLimiter {
  private readonly attempts = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 10_000,
  ) {}

  /** Records an attempt; says whether it is allowed and, if not, how long until it would be. */
  take(key: string): { allowed: true } | { allowed: false; retryAfterMs: number } {
    const now = this.now();
    const recent = (this.attempts.get(key) ?? []).filter((t) => now - t < this.windowMs);
    if (recent.length >= this.limit) {
      this.attempts.set(key, recent);
      return { allowed: false, retryAfterMs: Math.max(1, recent[0] + this.windowMs - now) };
    }
    recent.push(now);
    this.attempts.set(key, recent);
    if (this.attempts.size > this.maxKeys) this.prune(now);
    return { allowed: true };
  }

  /** Whether `key` is at its limit now, without recording an attempt. */
  check(key: string): { allowed: true } | { allowed: false; retryAfterMs: number } {
    const now = this.now();
    const recent = (this.attempts.get(key) ?? []).filter((t) => now - t < this.windowMs);
    return recent.length >= this.limit ? { allowed: false, retryAfterMs: Math.max(1, recent[0] + this.windowMs - now) } : { allowed: true };
  }

  /** Takes back the latest attempt of `key` (it turned out not to count). */
  untake(key: string): void {
    const times = this.attempts.get(key);
    if (times && times.length > 0) times.pop();
  }

  /** Forgets the attempts of `key`. */
  reset(key: string): void {
    this.attempts.delete(key);
  }

  get size(): number {
    return this.attempts.size;
  }

  private prune(now: number): void {
    for (const [key, times] of this.attempts) {
      if (times.every((t) => now - t >= this.windowMs)) this.attempts.delete(key);
    }
    // Still too many live keys: drop the oldest-inserted ones.
    for (const key of this.attempts.keys()) {
      if (this.attempts.size <= this.maxKeys) break;
      this.attempts.delete(key);
    }
  }
}
