import { type ElectionTimings, type LeaseRecord, sameRecord, type VersionedLease } from "./lease-record";

/**
 * The pure core of leader election, client-go's `tryAcquireOrRenew` without I/O or
 * timers: given what the lease holds and the time, it says what to write; told how
 * the write went, it says whether leadership started; asked at any time, it says
 * whether leadership must end because no renewal succeeded within the renew deadline.
 *
 * Expiry is judged like client-go: by the local time at which this replica last saw
 * the record change (`observedAt`) plus the record's leaseDurationSeconds, never by
 * comparing another replica's clock with ours.
 */

export type Decision =
  | { kind: "create"; record: LeaseRecord }
  | { kind: "update"; record: LeaseRecord; version: string }
  /** Someone else holds an unexpired lease. */
  | { kind: "held"; holder: string; expiresAt: number };

/** A change of leadership the runner must act on. */
export type Transition = "started" | "stopped" | undefined;

export class ElectorCore {
  private observed: (VersionedLease & { observedAt: number }) | undefined;
  private leading = false;
  private lastRenewAt = 0;
  /** The holder this replica is writing over (set by `decide`, kept by `succeeded` when leadership starts). */
  private overwriting: string | undefined;
  private previous: string | undefined;

  constructor(
    readonly identity: string,
    private readonly timings: ElectionTimings,
  ) {}

  get isLeader(): boolean {
    return this.leading;
  }

  /** The holder as last observed ("" when released or unknown). */
  get observedHolder(): string {
    return this.observed?.record.holderIdentity ?? "";
  }

  get observedRecord(): LeaseRecord | undefined {
    return this.observed?.record;
  }

  /**
   * The other replica whose unreleased lease this one took over when its leadership
   * started (it expired: that replica died or lost its connection), else undefined —
   * also when the lease was released (a clean stop), new, or held by this identity.
   */
  get takenOverFrom(): string | undefined {
    return this.previous;
  }

  /** When the last successful write (create or renewal) was attempted. */
  get lastRenewedAt(): number {
    return this.lastRenewAt;
  }

  /**
   * The fast path of a leader: renew on top of the record it wrote last, without a
   * read. Undefined when there is no such record (then read and call `decide`).
   */
  fastRenewal(now: number): Decision | undefined {
    if (!this.leading || !this.observed || this.observed.record.holderIdentity !== this.identity) return undefined;
    return { kind: "update", record: this.renewed(this.observed.record, now), version: this.observed.version };
  }

  /** What to write, given the lease as just read (undefined: it does not exist). */
  decide(current: VersionedLease | undefined, now: number): Decision {
    this.overwriting = undefined;
    if (!current) return { kind: "create", record: this.fresh(now, 0) };
    if (!this.observed || !sameRecord(this.observed.record, current.record) || this.observed.version !== current.version) {
      this.observed = { ...current, observedAt: now };
    }
    const { record } = current;
    const expiresAt = this.observed.observedAt + record.leaseDurationSeconds * 1000;
    if (record.holderIdentity !== "" && record.holderIdentity !== this.identity && expiresAt > now) {
      return { kind: "held", holder: record.holderIdentity, expiresAt };
    }
    if (record.holderIdentity === this.identity) return { kind: "update", record: this.renewed(record, now), version: current.version };
    this.overwriting = record.holderIdentity || undefined;
    return { kind: "update", record: this.fresh(now, record.leaseTransitions + 1), version: current.version };
  }

  /** The write of an attempt that started at `attemptAt` succeeded. */
  succeeded(written: VersionedLease, attemptAt: number): Transition {
    this.observed = { ...written, observedAt: attemptAt };
    this.lastRenewAt = attemptAt;
    const overwritten = this.overwriting;
    this.overwriting = undefined;
    if (this.leading) return undefined;
    this.leading = true;
    this.previous = overwritten;
    return "started";
  }

  /** Another replica holds the lease: a leader that sees this has lost it. */
  held(): Transition {
    return this.stepDown();
  }

  /** The write lost a race: forget the cached record so the next attempt reads. */
  conflicted(): void {
    this.observed = undefined;
  }

  /** Leadership ends once no renewal has succeeded for the renew deadline. */
  checkDeadline(now: number): Transition {
    if (this.leading && now - this.lastRenewAt >= this.timings.renewDeadlineMs) return this.stepDown();
    return undefined;
  }

  /** When the deadline check is next due for a leader (epoch ms), else undefined. */
  deadlineAt(): number | undefined {
    return this.leading ? this.lastRenewAt + this.timings.renewDeadlineMs : undefined;
  }

  /**
   * client-go's release on a clean stop: an empty holder with a one-second duration,
   * so another replica takes over at once. Undefined when this replica does not hold the
   * lease (as last observed, or in `current` when given: a fresh read).
   */
  release(now: number, current?: VersionedLease): Decision | undefined {
    const observed = current ?? this.observed;
    if (!observed || observed.record.holderIdentity !== this.identity) return undefined;
    return {
      kind: "update",
      version: observed.version,
      record: { holderIdentity: "", leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: observed.record.leaseTransitions },
    };
  }

  /** Gives up leadership (a clean stop, or a leader-only service that failed to start). */
  stepDown(): Transition {
    if (!this.leading) return undefined;
    this.leading = false;
    return "stopped";
  }

  private fresh(now: number, transitions: number): LeaseRecord {
    return {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.round(this.timings.leaseDurationMs / 1000),
      acquireTime: now,
      renewTime: now,
      leaseTransitions: transitions,
    };
  }

  private renewed(record: LeaseRecord, now: number): LeaseRecord {
    return {
      ...record,
      leaseDurationSeconds: Math.round(this.timings.leaseDurationMs / 1000),
      acquireTime: record.acquireTime || now,
      renewTime: now,
    };
  }
}
