/**
 * Per-client request limits of the request gate: requests in flight per client address
 * (so one client cannot take every worker of the event loop and the database pool), and
 * procedures per tRPC batch (one HTTP request must not carry an unbounded amount of work).
 */
export class ConcurrencyLimiter {
  private readonly inFlight = new Map<string, number>();

  /** `limit` 0 means no limit. */
  constructor(private readonly limit: number) {}

  /** Counts a request of `client` in; false (and nothing counted) when it is at its limit. */
  enter(client: string): boolean {
    const current = this.inFlight.get(client) ?? 0;
    if (this.limit > 0 && current >= this.limit) return false;
    this.inFlight.set(client, current + 1);
    return true;
  }

  leave(client: string): void {
    const current = this.inFlight.get(client) ?? 0;
    if (current <= 1) this.inFlight.delete(client);
    else this.inFlight.set(client, current - 1);
  }

  /** Clients with requests in flight (memory is bounded by the open connections). */
  get clients(): number {
    return this.inFlight.size;
  }
}

/** Procedures named by a tRPC request path (`/api/trpc/a.b,c.d?batch=1` → 2); 0 for other paths. */
export function trpcBatchSize(path: string): number {
  if (!path.startsWith("/api/trpc/")) return 0;
  const names = path.slice("/api/trpc/".length);
  let count = 1;
  // A comma, raw or percent-encoded, separates procedures.
  for (let i = 0; i < names.length; i += 1) {
    if (names[i] === ",") count += 1;
    else if (names[i] === "%" && names.slice(i + 1, i + 3).toUpperCase() === "2C") count += 1;
  }
  return count;
}
