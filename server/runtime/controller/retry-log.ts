import { RecentLog } from "./recent-log";
import type { RetriedInRange, RetryEvent } from "./state";

/**
 * Every retry (failed or requeued reconcile) of the last `capacity` retries, so "which keys
 * were retried between from and to" has an answer after the keys have since succeeded —
 * the live retry counters are reset on success and would show nothing after a storm.
 */
export class RetryLog {
  private readonly log: RecentLog<RetryEvent>;

  constructor(capacity = 10_000) {
    this.log = new RecentLog(capacity);
  }

  record(event: RetryEvent): void {
    this.log.push(event);
  }

  /** Keys retried within [from, to], most retried first (ties: most recent first), at most `limit`. */
  between(from: number, to: number, limit: number): RetriedInRange[] {
    const byKey = new Map<string, RetriedInRange>();
    for (const event of this.log.newest()) {
      if (event.at > to) continue;
      if (event.at < from) break;
      const entry = byKey.get(event.key);
      if (entry) {
        entry.retries += 1;
        if (entry.lastError === null && event.error !== null) entry.lastError = event.error;
      } else {
        byKey.set(event.key, { key: event.key, retries: 1, lastAt: event.at, lastError: event.error });
      }
    }
    return [...byKey.values()].sort((a, b) => b.retries - a.retries || b.lastAt - a.lastAt || a.key.localeCompare(b.key)).slice(0, limit);
  }
}
