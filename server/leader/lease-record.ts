/**
 * The leader-election record kept in a `coordination.k8s.io/v1` Lease, with times as
 * epoch milliseconds (client-go's LeaderElectionRecord, stored in the Lease's spec).
 */
export interface LeaseRecord {
  /** The replica holding the lease; "" when released. */
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: number;
  renewTime: number;
  leaseTransitions: number;
}

/** A record as read from the API server, with the resourceVersion that guards its replacement. */
export interface VersionedLease {
  record: LeaseRecord;
  version: string;
}

/** client-go's leader-election timings (controller-runtime's defaults: 15 s, 10 s, 2 s). */
export interface ElectionTimings {
  /** How long a non-leader waits after the last observed change before taking over. */
  leaseDurationMs: number;
  /** How long the leader keeps trying to renew before it gives up leadership. */
  renewDeadlineMs: number;
  /** How often acquisition and renewal are attempted. */
  retryPeriodMs: number;
}

export const DEFAULT_TIMINGS: ElectionTimings = Object.freeze({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 });

/** client-go's JitterFactor: non-leaders wait retryPeriod plus up to 1.2 × retryPeriod between attempts. */
export const JITTER_FACTOR = 1.2;

/** client-go's rule: LeaseDuration > RenewDeadline > JitterFactor × RetryPeriod. Returns the problem, or undefined. */
export function timingsProblem(timings: ElectionTimings): string | undefined {
  const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = timings;
  if (retryPeriodMs <= 0) return "the retry period must be greater than zero";
  if (leaseDurationMs <= renewDeadlineMs) return `the lease duration (${leaseDurationMs} ms) must be greater than the renew deadline (${renewDeadlineMs} ms)`;
  if (renewDeadlineMs <= JITTER_FACTOR * retryPeriodMs) {
    return `the renew deadline (${renewDeadlineMs} ms) must be greater than ${JITTER_FACTOR} × the retry period (${retryPeriodMs} ms)`;
  }
  if (leaseDurationMs % 1000 !== 0) return `the lease duration (${leaseDurationMs} ms) must be whole seconds (Lease.spec.leaseDurationSeconds)`;
  return undefined;
}

/** Two records describe the same lease state (what client-go compares to reset its observed time). */
export function sameRecord(a: LeaseRecord, b: LeaseRecord): boolean {
  return (
    a.holderIdentity === b.holderIdentity &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.acquireTime === b.acquireTime &&
    a.renewTime === b.renewTime &&
    a.leaseTransitions === b.leaseTransitions
  );
}

/** Thrown by a lease lock when the write lost a race (HTTP 409: AlreadyExists or a stale resourceVersion). */
export class LeaseConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LeaseConflictError";
  }
}

/** Where the lease lives: read, create, and replace guarded by resourceVersion. */
export interface LeaseLock {
  /** "namespace/name", for logs and status. */
  readonly description: string;
  /** The lease, or undefined when it does not exist (404). */
  get(): Promise<VersionedLease | undefined>;
  /** Creates the lease; LeaseConflictError when it already exists. */
  create(record: LeaseRecord): Promise<VersionedLease>;
  /** Replaces the lease if it still has `version`; LeaseConflictError otherwise. */
  update(record: LeaseRecord, version: string): Promise<VersionedLease>;
}
