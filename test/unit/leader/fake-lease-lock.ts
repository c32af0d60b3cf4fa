import { LeaseConflictError, type LeaseLock, type LeaseRecord, type VersionedLease } from "../../../server/leader/lease-record";

/**
 * An in-memory Lease with the API server's optimistic concurrency: every write bumps
 * the resourceVersion, a create of an existing lease and a replace with a stale
 * resourceVersion fail with a conflict. Tests can make calls fail or hang.
 */
export class FakeLeaseLock implements LeaseLock {
  readonly description = "default/loopscope";
  stored: VersionedLease | undefined;
  calls: string[] = [];
  /** When set, every call fails with this error (an unreachable API server). */
  failure: Error | undefined;
  /** When true, every call hangs forever (a stalled API server). */
  hang = false;
  private rv = 100;

  async get(): Promise<VersionedLease | undefined> {
    await this.gate("get");
    return this.stored && structuredClone(this.stored);
  }

  async create(record: LeaseRecord): Promise<VersionedLease> {
    await this.gate("create");
    if (this.stored) throw new LeaseConflictError("create: AlreadyExists");
    return this.write(record);
  }

  async update(record: LeaseRecord, version: string): Promise<VersionedLease> {
    await this.gate("update");
    if (!this.stored) throw new Error("update: NotFound");
    if (this.stored.version !== version) throw new LeaseConflictError("update: Conflict");
    return this.write(record);
  }

  /** A write from outside (kubectl edit, another replica): bumps the resourceVersion. */
  touch(change: Partial<LeaseRecord> = {}): void {
    if (!this.stored) throw new Error("no lease");
    this.write({ ...this.stored.record, ...change });
  }

  private write(record: LeaseRecord): VersionedLease {
    this.rv += 1;
    this.stored = { record: { ...record }, version: String(this.rv) };
    return structuredClone(this.stored);
  }

  private async gate(call: string): Promise<void> {
    this.calls.push(call);
    if (this.hang) await new Promise(() => undefined);
    if (this.failure) throw this.failure;
  }
}

/** A clock the test moves by hand. */
export class ManualClock {
  constructor(public now = 1_700_000_000_000) {}
  readonly read = () => this.now;
  advance(ms: number): number {
    this.now += ms;
    return this.now;
  }
}
