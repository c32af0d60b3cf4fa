/**
 * Admission control for expensive queries: a query whose planned cost (bucket reads + points,
 * known before any sample is read) is at least `expensiveCost` runs only within a small global
 * concurrency limit, waits in a short bounded queue otherwise, and each client holds at most
 * `perClient` of the running-or-queued places. Excess is refused at once (QueryAdmissionError,
 * HTTP 429) so a flood of heavy queries cannot starve the process and its database; cheap
 * queries (dashboards, overview) never wait behind them.
 */
export interface AdmissionLimits {
  /** Planned cost (series × buckets + series × steps) from which a query counts as expensive. */
  expensiveCost: number;
  /** Expensive queries running at once, over all clients. */
  maxRunning: number;
  /** Expensive queries waiting for a place; more are refused. */
  maxQueued: number;
  /** Running plus queued expensive queries of one client. */
  perClient: number;
}

export const DEFAULT_ADMISSION_LIMITS: AdmissionLimits = Object.freeze({
  expensiveCost: 200_000,
  maxRunning: 1,
  maxQueued: 2,
  perClient: 2,
});

/** An expensive query refused because the expensive-query places are taken (tRPC: TOO_MANY_REQUESTS). */
export class QueryAdmissionError extends Error {
  constructor(
    message: string,
    readonly retryAfterS: number,
  ) {
    super(message);
    this.name = "QueryAdmissionError";
  }
}

export type Release = () => void;

interface Waiter {
  client: string;
  grant: () => void;
}

const noop: Release = () => {};

export class QueryAdmission {
  private running = 0;
  private readonly queue: Waiter[] = [];
  private readonly perClient = new Map<string, number>();
  readonly limits: AdmissionLimits;

  constructor(limits: Partial<AdmissionLimits> = {}) {
    this.limits = { ...DEFAULT_ADMISSION_LIMITS, ...limits };
  }

  /**
   * Resolves with a release once the query may run (at once for a cheap one); throws
   * QueryAdmissionError when it would exceed the queue or the client's share; rejects with
   * `signal`'s reason when the client leaves while queued.
   */
  async admit(cost: number, client: string, signal?: AbortSignal): Promise<Release> {
    if (!this.isExpensive(cost)) return noop;
    const held = this.perClient.get(client) ?? 0;
    if (held >= this.limits.perClient) {
      throw new QueryAdmissionError(
        `too many expensive queries: ${client} already has ${held} running or queued (limit ${this.limits.perClient}); wait for them, or narrow the range, step or window`,
        1,
      );
    }
    const mayRun = this.running < this.limits.maxRunning;
    if (!mayRun && this.queue.length >= this.limits.maxQueued) {
      throw new QueryAdmissionError(
        `server busy with expensive queries (${this.running} running, ${this.queue.length} queued); retry shortly, or narrow the range, step or window`,
        2,
      );
    }
    this.perClient.set(client, held + 1);
    if (mayRun) this.running += 1;
    else await this.wait(client, signal);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.leaveClient(client);
      const next = this.queue.shift();
      if (next) next.grant();
      else this.running -= 1;
    };
  }

  isExpensive(cost: number): boolean {
    return cost >= this.limits.expensiveCost;
  }

  /** Expensive queries running and queued now (for status and tests). */
  get state(): { running: number; queued: number } {
    return { running: this.running, queued: this.queue.length };
  }

  private wait(client: string, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const at = this.queue.indexOf(waiter);
        if (at >= 0) this.queue.splice(at, 1);
        this.leaveClient(client);
        reject(signal?.reason);
      };
      // A granted waiter inherits the releasing query's running place.
      const waiter: Waiter = {
        client,
        grant: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      if (signal?.aborted) {
        this.leaveClient(client);
        reject(signal.reason);
        return;
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  private leaveClient(client: string): void {
    const held = this.perClient.get(client) ?? 0;
    if (held <= 1) this.perClient.delete(client);
    else this.perClient.set(client, held - 1);
  }
}
