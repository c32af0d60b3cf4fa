/**
 * bcrypt checks (API tokens, the admin password hash) one at a time, on the bcrypt worker
 * thread (off-thread-bcrypt.ts). At most `maxWaiting` checks wait; beyond, a check is refused
 * at once (the caller answers "busy") rather than queued without bound, so a burst of
 * credential checks can neither grow memory nor keep the worker's core busy for long.
 */
export class HashQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  constructor(private readonly maxWaiting = 16) {}

  /** Runs `check` after the ones before it; undefined when too many are already waiting. */
  run<T>(check: () => Promise<T>): Promise<T> | undefined {
    if (this.waiting >= this.maxWaiting) return undefined;
    this.waiting += 1;
    const result = this.tail.then(check).finally(() => {
      this.waiting -= 1;
    });
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/** The message of a check refused because too many are waiting. */
export const HASH_QUEUE_FULL = "too many credential checks at once; try again in a moment";
