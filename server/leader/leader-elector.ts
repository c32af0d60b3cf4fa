import { log as rootLog, type Logger } from "../log";
import { ElectorCore, type Transition } from "./elector-core";
import type { LeaderMetrics } from "./leader-metrics";
import { DEFAULT_TIMINGS, type ElectionTimings, JITTER_FACTOR, type LeaseLock, type VersionedLease } from "./lease-record";

/** What the process shows about leadership (system status, the UI). */
export interface LeadershipView {
  /** This replica's identity (holderIdentity when it leads). */
  identity: string;
  /** "namespace/name" of the Lease. */
  lease: string;
  leader: boolean;
  /** The holder as last observed ("" when released or not yet read). */
  holder: string;
  leaseTransitions: number;
  /** When this replica became leader (epoch ms), while it leads. */
  leaderSince: number | null;
  /** When this replica last renewed (epoch ms), while it leads. */
  renewedAt: number | null;
}

export interface LeaderCallbacks {
  onStartedLeading(): void;
  /**
   * Leadership started by taking over the unreleased, expired lease of `previousHolder`
   * (called after `onStartedLeading`; `at`: epoch ms of the winning attempt).
   */
  onTakeover?(previousHolder: string, at: number): void;
  /** May return a promise: `stop()` waits for it before releasing the lease. */
  onStoppedLeading(): void | Promise<void>;
}

export interface LeaderElectorOptions extends LeaderCallbacks {
  /** The lease name (metric label `name`). */
  name: string;
  identity: string;
  lock: LeaseLock;
  timings?: ElectionTimings;
  /** Release the lease on a clean stop so another replica takes over at once (client-go ReleaseOnCancel). Default true. */
  releaseOnStop?: boolean;
  clock?: () => number;
  random?: () => number;
  metrics?: LeaderMetrics;
  log?: Logger;
}

function isConflict(error: unknown): boolean {
  return error instanceof Error && error.name === "LeaseConflictError";
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * client-go's LeaderElector over a {@link LeaseLock}: non-leaders try to acquire every
 * retry period (with jitter); the leader renews every retry period, first on top of
 * the record it wrote (fast path) and, when that fails, by reading then writing
 * (slow path, counted). Leadership ends when no renewal succeeded for the renew
 * deadline — checked by a timer of its own, so a hung API call cannot delay it — which
 * is always before another replica may take over (lease duration > renew deadline).
 * Each API call is abandoned after half the renew deadline; a late answer is ignored.
 */
export class LeaderElector {
  private readonly core: ElectorCore;
  private readonly timings: ElectionTimings;
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly log: Logger;
  private attemptSeq = 0;
  private running = false;
  private loopTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private leaderSince: number | null = null;
  private lastHolder = "";
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: LeaderElectorOptions) {
    this.timings = options.timings ?? DEFAULT_TIMINGS;
    this.core = new ElectorCore(options.identity, this.timings);
    this.clock = options.clock ?? Date.now;
    this.random = options.random ?? Math.random;
    this.log = (options.log ?? rootLog).child({ component: "leader-election", lease: options.lock.description, identity: options.identity });
    options.metrics?.setLeader(options.name, false);
  }

  get isLeader(): boolean {
    return this.core.isLeader;
  }

  status(): LeadershipView {
    const record = this.core.observedRecord;
    return {
      identity: this.options.identity,
      lease: this.options.lock.description,
      leader: this.core.isLeader,
      holder: record?.holderIdentity ?? "",
      leaseTransitions: record?.leaseTransitions ?? 0,
      leaderSince: this.core.isLeader ? this.leaderSince : null,
      renewedAt: this.core.isLeader ? this.core.lastRenewedAt : null,
    };
  }

  /** Starts the acquire/renew loop (the first attempt runs at once). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopping = undefined;
    this.schedule(0);
  }

  /**
   * Stops the loop. A leader steps down (waiting for `onStoppedLeading`), then
   * `beforeRelease` runs (e.g. waiting for services still stopping from an earlier step
   * down), and then, unless `releaseOnStop` is false, the lease is released if this
   * replica still holds it, so another replica need not wait for it to expire.
   */
  stop(beforeRelease?: () => Promise<void>): Promise<void> {
    this.stopping ??= this.shutdown(beforeRelease);
    return this.stopping;
  }

  /**
   * One acquire-or-renew attempt (what the loop runs every retry period). Resolves
   * true when this replica holds the lease afterwards. Never throws.
   */
  async tryAcquireOrRenew(): Promise<boolean> {
    const token = ++this.attemptSeq;
    const current = () => token === this.attemptSeq;
    try {
      const fastAt = this.clock();
      const fast = this.core.fastRenewal(fastAt);
      if (fast?.kind === "update") {
        try {
          const written = await this.options.lock.update(fast.record, fast.version);
          if (current()) this.apply(this.core.succeeded(written, fastAt));
          return this.core.isLeader;
        } catch (error) {
          if (!current()) return this.core.isLeader;
          this.options.metrics?.slowPath(this.options.name);
          if (isConflict(error)) this.core.conflicted();
          this.log.debug({ err: message(error) }, "fast-path renewal failed; reading the lease");
        }
      }
      const read = await this.options.lock.get();
      if (!current()) return this.core.isLeader;
      const at = this.clock();
      const decision = this.core.decide(read, at);
      this.noticeHolder();
      if (decision.kind === "held") {
        this.apply(this.core.held());
        return false;
      }
      let written: VersionedLease;
      try {
        written = decision.kind === "create" ? await this.options.lock.create(decision.record) : await this.options.lock.update(decision.record, decision.version);
      } catch (error) {
        if (!current()) return this.core.isLeader;
        if (!isConflict(error)) throw error;
        this.core.conflicted();
        this.log.debug("lost a race for the lease (409 Conflict); retrying");
        this.apply(this.core.checkDeadline(this.clock()));
        return this.core.isLeader;
      }
      if (current()) {
        this.apply(this.core.succeeded(written, at));
        this.noticeHolder();
      }
      return this.core.isLeader;
    } catch (error) {
      if (current()) {
        this.log.warn({ err: message(error) }, "could not read or write the lease");
        this.apply(this.core.checkDeadline(this.clock()));
      }
      return this.core.isLeader;
    }
  }

  /** Ends leadership if the renew deadline has passed without a successful renewal. */
  checkDeadline(): void {
    this.apply(this.core.checkDeadline(this.clock()));
  }

  /**
   * Gives up leadership without leaving the election (e.g. a leader-only service failed
   * to start): steps down, waits for `onStoppedLeading`, releases the lease. The loop
   * goes on, so this replica may lead again later.
   */
  async resign(): Promise<void> {
    this.attemptSeq += 1;
    if (this.core.stepDown() !== "stopped") return;
    await this.stoppedLeading();
    await this.release();
  }

  private async shutdown(beforeRelease?: () => Promise<void>): Promise<void> {
    this.running = false;
    clearTimeout(this.loopTimer);
    clearTimeout(this.deadlineTimer);
    this.attemptSeq += 1; // an attempt in flight no longer counts
    if (this.core.stepDown() === "stopped") await this.stoppedLeading();
    await beforeRelease?.();
    // Also when leadership had just lapsed (a missed deadline): the lease may still name this replica.
    if (this.options.releaseOnStop !== false) await this.release();
  }

  private async release(): Promise<void> {
    try {
      let release = this.core.release(this.clock());
      if (release?.kind !== "update") return;
      try {
        await this.withTimeout(this.options.lock.update(release.record, release.version));
      } catch (error) {
        // A renewal abandoned in flight may have landed after all: read, and release that version.
        if (!isConflict(error)) throw error;
        const current = await this.withTimeout(this.options.lock.get());
        release = current && this.core.release(this.clock(), current);
        if (release?.kind !== "update") return;
        await this.withTimeout(this.options.lock.update(release.record, release.version));
      }
      this.log.info("lease released");
    } catch (error) {
      this.log.warn({ err: message(error) }, "could not release the lease; it expires on its own");
    }
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.loopTimer = setTimeout(() => void this.loop(), delayMs);
  }

  private async loop(): Promise<void> {
    if (!this.running) return;
    await this.withTimeout(this.tryAcquireOrRenew()).catch(() => {
      // Abandoned: bump the sequence so its late answer is ignored.
      this.attemptSeq += 1;
      this.log.warn({ timeoutMs: this.callTimeoutMs() }, "lease request timed out");
      this.apply(this.core.checkDeadline(this.clock()));
    });
    const period = this.timings.retryPeriodMs;
    this.schedule(this.core.isLeader ? period : period + this.random() * JITTER_FACTOR * period);
  }

  private callTimeoutMs(): number {
    return Math.max(1, Math.floor(this.timings.renewDeadlineMs / 2));
  }

  private withTimeout<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("lease request timed out")), this.callTimeoutMs());
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }

  private apply(transition: Transition): void {
    this.armDeadline();
    if (transition === "started") {
      this.leaderSince = this.clock();
      this.options.metrics?.setLeader(this.options.name, true);
      this.log.info("became the leader");
      this.options.onStartedLeading();
      const previous = this.core.takenOverFrom;
      if (previous !== undefined) {
        this.log.info({ previous }, "took over an expired lease");
        this.options.onTakeover?.(previous, this.core.lastRenewedAt);
      }
    } else if (transition === "stopped") {
      void this.stoppedLeading();
    }
  }

  private async stoppedLeading(): Promise<void> {
    this.leaderSince = null;
    clearTimeout(this.deadlineTimer);
    this.options.metrics?.setLeader(this.options.name, false);
    this.log.warn("stopped leading");
    try {
      await this.options.onStoppedLeading();
    } catch (error) {
      this.log.error({ err: message(error) }, "stopping the leader-only services failed");
    }
  }

  /** While leading, a timer checks the renew deadline even if a lease request hangs. */
  private armDeadline(): void {
    clearTimeout(this.deadlineTimer);
    const at = this.core.deadlineAt();
    if (at === undefined || !this.running) return;
    this.deadlineTimer = setTimeout(() => this.checkDeadline(), Math.max(0, at - this.clock()));
  }

  private noticeHolder(): void {
    const holder = this.core.observedHolder;
    if (holder === this.lastHolder) return;
    this.lastHolder = holder;
    if (holder !== this.options.identity) this.log.info({ holder: holder || "(released)" }, "new leader observed");
  }
}
