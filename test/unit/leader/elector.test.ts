import pino from "pino";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it, vi } from "vitest";
import { LeaderElector } from "../../../server/leader/leader-elector";
import { leaderMetrics } from "../../../server/leader/leader-metrics";
import { DEFAULT_TIMINGS, timingsProblem } from "../../../server/leader/lease-record";
import { FakeLeaseLock, ManualClock } from "./fake-lease-lock";

const quiet = pino({ level: "silent" });
const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = DEFAULT_TIMINGS;

interface Replica {
  elector: LeaderElector;
  events: string[];
}

/** Each replica logs "started@t" / "stopped@t" (clock time) into its own list and a shared one. */
function replica(identity: string, lock: FakeLeaseLock, clock: ManualClock, shared: string[] = [], registry?: Registry): Replica {
  const events: string[] = [];
  const note = (what: string, at = clock.now) => {
    events.push(`${what}@${at}`);
    shared.push(`${identity} ${what}@${at}`);
  };
  const elector = new LeaderElector({
    name: "loopscope",
    identity,
    lock,
    clock: clock.read,
    random: () => 0,
    log: quiet,
    metrics: registry ? leaderMetrics(registry) : undefined,
    onStartedLeading: () => note("started"),
    onStoppedLeading: () => note("stopped"),
    onTakeover: (previous, at) => note(`took over ${previous}`, at),
  });
  return { elector, events };
}

async function metricValue(registry: Registry, name: string): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  const data = await metric?.get();
  return data?.values.find((v) => v.labels.name === "loopscope")?.value;
}

describe("leader election core (client-go semantics)", () => {
  it("acquires a missing lease by creating it, and then leads", async () => {
    const lock = new FakeLeaseLock();
    const clock = new ManualClock();
    const a = replica("a", lock, clock);
    expect(await a.elector.tryAcquireOrRenew()).toBe(true);
    expect(a.elector.isLeader).toBe(true);
    expect(a.events).toEqual([`started@${clock.now}`]);
    expect(lock.calls).toEqual(["get", "create"]);
    expect(lock.stored?.record).toEqual({ holderIdentity: "a", leaseDurationSeconds: 15, acquireTime: clock.now, renewTime: clock.now, leaseTransitions: 0 });
    expect(a.elector.status()).toMatchObject({ identity: "a", leader: true, holder: "a", lease: "default/loopscope", leaderSince: clock.now });
  });

  it("renews on the fast path (no read), keeping acquireTime and transitions", async () => {
    const lock = new FakeLeaseLock();
    const clock = new ManualClock();
    const a = replica("a", lock, clock);
    await a.elector.tryAcquireOrRenew();
    const acquired = clock.now;
    lock.calls = [];
    clock.advance(retryPeriodMs);
    expect(await a.elector.tryAcquireOrRenew()).toBe(true);
    expect(lock.calls).toEqual(["update"]);
    expect(lock.stored?.record).toMatchObject({ holderIdentity: "a", acquireTime: acquired, renewTime: clock.now, leaseTransitions: 0 });
    expect(a.events).toHaveLength(1); // started once, never restarted
  });

  it("a follower waits a full lease duration from its own observation, then takes over", async () => {
    const lock = new FakeLeaseLock();
    const clock = new ManualClock();
    const a = replica("a", lock, clock);
    const b = replica("b", lock, clock);
    await a.elector.tryAcquireOrRenew();
    const lastRenew = clock.now;
    // a goes silent (crashed). b keeps trying.
    expect(await b.elector.tryAcquireOrRenew()).toBe(false);
    clock.advance(leaseDurationMs - 1);
    expect(await b.elector.tryAcquireOrRenew()).toBe(false);
    expect(b.events).toEqual([]);
    clock.advance(1);
    expect(await b.elector.tryAcquireOrRenew()).toBe(true);
    // The expired lease named a: b takes over from it (and ends its series, in the wiring).
    expect(b.events).toEqual([`started@${lastRenew + leaseDurationMs}`, `took over a@${lastRenew + leaseDurationMs}`]);
    expect(lock.stored?.record).toEqual({ holderIdentity: "b", leaseDurationSeconds: 15, acquireTime: clock.now, renewTime: clock.now, leaseTransitions: 1 });
    clock.advance(retryPeriodMs);
    expect(await b.elector.tryAcquireOrRenew()).toBe(true);
    expect(b.events).toHaveLength(2); // renewals are no takeover
  });

  it("judges expiry by the local observation time, not the other replica's clock", async () => {
    const lock = new FakeLeaseLock();
    const clock = new ManualClock();
    const a = replica("a", lock, clock);
    await a.elector.tryAcquireOrRenew();
    // The holder's clock is an hour behind: its renewTime looks long expired.
    lock.touch({ renewTime: clock.now - 3_600_000 });
    const b = replica("b", lock, clock);
    expect(await b.elector.tryAcquireOrRenew()).toBe(false);
    clock.advance(leaseDurationMs - 1);
    expect(await b.elector.tryAcquireOrRenew()).toBe(false);
    clock.advance(1);
    expect(await b.elector.tryAcquireOrRenew()).toBe(true);
  });

  it("a renewal seen by a follower restarts its wait", async () => {
    const lock = new FakeLeaseLock();
    const clock = new ManualClock();
    const a = replica("a", lock, clock);
    const b = replica("b", lock, clock);
    await a.elector.tryAcquireOrRenew();
    await b.elector.tryAcquireOrRenew();
    for (let i = 0; i < 20; i++) {
      clock.advance(retryPeriodMs);
      expect(await a.elector.tryAcquireOrRenew()).toBe(true);
      expect(await b.elector.tryAcquireOrRenew()).toBe(false);
    }
    expect(a.events).toHaveLength(1);
    expect(b.events).toEqual([]);
  });

  it("a 409 Conflict on replace loses the race without leading; the next attempt reads and defers to the winner", async () => {
    const lock = new FakeLeaseLock();
    const clock = new ManualClock();
    const a = replica("a", lock, clock);
    const b = replica("b", lock, clock);
    const c = replica("c", lock, clock);
    await a.elector.tryAcquireOrRenew();
    await b.elector.tryAcquireOrRenew();
    await c.elector.tryAcquireOrRenew();
    clock.advance(leaseDurationMs); // a is gone; b and c both see an expired lease
    // b and c read the same version; b writes first, c's replace carries a stale resourceVersion.
    const original = lock.update.bind(lock);
    let raced = false;
    lock.update = async (record, version) => {
      if (record.holderIdentity === "c" && !raced) {
        raced = true;
        await b.elector.tryAcquireOrRenew();
      }
      return original(record, version);
    };
    expect(await c.elector.tryAcquireOrRenew()).toBe(false);
    expect(raced).toBe(true);
    expect(b.elector.isLeader).toBe(true);
    expect(c.events).toEqual([]);
    expect(lock.stored?.record.holderIdentity).toBe("b");
    expect(await c.elector.tryAcquireOrRenew()).toBe(false);
    expect(lock.stored?.record).toMatchObject({ holderIdentity: "b", leaseTransitions: 1 });
  });

  it("when the fast path conflicts (the lease changed underneath), the leader counts a slow path, reads and renews", async () => {
    const lock = new FakeLeaseLock();
    const clock = new ManualClock();
    const registry = new Registry();
    const a = replica("a", lock, clock, [], registry);
    await a.elector.tryAcquireOrRenew();
    expect(await metricValue(registry, "leader_election_master_status")).toBe(1);
    lock.touch({ leaseDurationSeconds: 15 }); // e.g. kubectl annotate: resourceVersion bumped
    lock.calls = [];
    clock.advance(retryPeriodMs);
    expect(await a.elector.tryAcquireOrRenew()).toBe(true);
    expect(lock.calls).toEqual(["update", "get", "update"]);
    expect(await metricValue(registry, "leader_election_slowpath_total")).toBe(1);
    expect(a.events).toHaveLength(1);
  });

  it("a leader that finds another holder (it was paused past the lease) stops at once", async () => {
    const lock = new FakeLeaseLock();
    const clock = new ManualClock();
    const registry = new Registry();
    const a = replica("a", lock, clock, [], registry);
    const b = replica("b", lock, clock);
    await a.elector.tryAcquireOrRenew();
    await b.elector.tryAcquireOrRenew();
    clock.advance(leaseDurationMs);
    await b.elector.tryAcquireOrRenew();
    expect(b.elector.isLeader).toBe(true);
    // a wakes up (still thinks it leads, under its deadline check) and tries to renew.
    expect(await a.elector.tryAcquireOrRenew()).toBe(false);
    expect(a.events).toEqual([`started@${clock.now - leaseDurationMs}`, `stopped@${clock.now}`]);
    expect(await metricValue(registry, "leader_election_master_status")).toBe(0);
  });

  it("a leader that cannot renew stops at the renew deadline, before anyone may take over", async () => {
    const lock = new FakeLeaseLock();
    const clock = new ManualClock();
    const shared: string[] = [];
    const a = replica("a", lock, clock, shared);
    const b = replica("b", lock, clock, shared);
    await a.elector.tryAcquireOrRenew();
    const lastRenew = clock.now;
    await b.elector.tryAcquireOrRenew(); // b observes the lease now
    // a's API calls fail from now on (partitioned); b still reaches the API server.
    const partitioned = new FakeLeaseLock();
    partitioned.failure = new Error("connect ECONNREFUSED");
    (a.elector as unknown as { options: { lock: FakeLeaseLock } }).options.lock = partitioned;
    let stoppedAt: number | undefined;
    for (let t = retryPeriodMs; t <= 2 * leaseDurationMs; t += retryPeriodMs / 2) {
      clock.now = lastRenew + t;
      a.elector.checkDeadline(); // what a's deadline timer does
      await a.elector.tryAcquireOrRenew();
      if (!a.elector.isLeader && stoppedAt === undefined) stoppedAt = clock.now;
      await b.elector.tryAcquireOrRenew();
    }
    expect(stoppedAt).toBeDefined();
    expect((stoppedAt ?? Infinity) - lastRenew).toBeGreaterThanOrEqual(renewDeadlineMs);
    expect((stoppedAt ?? Infinity) - lastRenew).toBeLessThan(leaseDurationMs);
    // Order: a stopped before b started, and b started no earlier than a lease duration after a's last renewal.
    expect(shared.map((e) => e.split("@")[0])).toEqual(["a started", "a stopped", "b started", "b took over a"]);
    const bStarted = Number(shared[2].split("@")[1]);
    expect(bStarted - lastRenew).toBeGreaterThanOrEqual(leaseDurationMs);
  });

  it("a clean stop steps down first, then releases the lease so a follower takes over at once", async () => {
    const lock = new FakeLeaseLock();
    const clock = new ManualClock();
    const order: string[] = [];
    const a = new LeaderElector({
      name: "loopscope",
      identity: "a",
      lock,
      clock: clock.read,
      log: quiet,
      onStartedLeading: () => order.push("a started"),
      onStoppedLeading: async () => {
        order.push(`a stopping, holder ${lock.stored?.record.holderIdentity}`);
        await Promise.resolve();
        order.push("a stopped");
      },
    });
    const b = replica("b", lock, clock);
    await a.tryAcquireOrRenew();
    await b.elector.tryAcquireOrRenew();
    clock.advance(1_000);
    await a.stop();
    expect(order).toEqual(["a started", "a stopping, holder a", "a stopped"]);
    expect(lock.stored?.record).toMatchObject({ holderIdentity: "", leaseDurationSeconds: 1, leaseTransitions: 0 });
    clock.advance(1); // no lease duration to wait for
    expect(await b.elector.tryAcquireOrRenew()).toBe(true);
    expect(lock.stored?.record).toMatchObject({ holderIdentity: "b", leaseTransitions: 1 });
    // A released lease is no takeover: a marked its own series when it stopped.
    expect(b.events.map((e) => e.split("@")[0])).toEqual(["started"]);
  });

  it("a stop releases the lease even when leadership had just lapsed, and retries a release that raced a renewal", async () => {
    const lock = new FakeLeaseLock();
    const clock = new ManualClock();
    const a = replica("a", lock, clock);
    await a.elector.tryAcquireOrRenew();
    clock.advance(renewDeadlineMs); // a missed its deadline (a busy event loop) but nobody took over
    a.elector.checkDeadline();
    expect(a.elector.isLeader).toBe(false);
    lock.touch({ renewTime: clock.now }); // a renewal abandoned in flight landed after all: the cached version is stale
    await a.elector.stop();
    expect(lock.calls.slice(-3)).toEqual(["update", "get", "update"]);
    expect(lock.stored?.record).toMatchObject({ holderIdentity: "", leaseDurationSeconds: 1 });
  });

  it("a stop never releases a lease another replica holds", async () => {
    const lock = new FakeLeaseLock();
    const clock = new ManualClock();
    const a = replica("a", lock, clock);
    const b = replica("b", lock, clock);
    await a.elector.tryAcquireOrRenew();
    await b.elector.tryAcquireOrRenew();
    await b.elector.stop();
    expect(lock.stored?.record.holderIdentity).toBe("a");
  });

  it("resigning steps down and releases, and the replica can lead again later", async () => {
    const lock = new FakeLeaseLock();
    const clock = new ManualClock();
    const a = replica("a", lock, clock);
    await a.elector.tryAcquireOrRenew();
    await a.elector.resign();
    expect(a.elector.isLeader).toBe(false);
    expect(lock.stored?.record.holderIdentity).toBe("");
    clock.advance(retryPeriodMs);
    expect(await a.elector.tryAcquireOrRenew()).toBe(true);
    expect(a.events.map((e) => e.split("@")[0])).toEqual(["started", "stopped", "started"]);
    expect(lock.stored?.record.leaseTransitions).toBe(1);
  });

  it("validates timings like client-go (LeaseDuration > RenewDeadline > 1.2 × RetryPeriod)", () => {
    expect(timingsProblem(DEFAULT_TIMINGS)).toBeUndefined();
    expect(timingsProblem({ leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 })).toMatch(/greater than the renew deadline/);
    expect(timingsProblem({ leaseDurationMs: 15_000, renewDeadlineMs: 2_400, retryPeriodMs: 2_000 })).toMatch(/1.2 × the retry period/);
    expect(timingsProblem({ leaseDurationMs: 15_500, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 })).toMatch(/whole seconds/);
  });
});

describe("leader election loop (fake timers)", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("steps down at the renew deadline even while a lease request hangs", async () => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
    const lock = new FakeLeaseLock();
    const events: string[] = [];
    const elector = new LeaderElector({
      name: "loopscope",
      identity: "a",
      lock,
      log: quiet,
      random: () => 0,
      onStartedLeading: () => events.push(`started@${Date.now()}`),
      onStoppedLeading: () => {
        events.push(`stopped@${Date.now()}`);
      },
    });
    elector.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(elector.isLeader).toBe(true);
    const acquiredAt = Date.now();
    await vi.advanceTimersByTimeAsync(3 * retryPeriodMs);
    const lastRenew = lock.stored?.record.renewTime ?? 0;
    expect(lastRenew).toBeGreaterThan(acquiredAt);
    lock.hang = true; // the API server stops answering
    await vi.advanceTimersByTimeAsync(leaseDurationMs);
    expect(events).toHaveLength(2);
    const stoppedAt = Number(events[1].split("@")[1]);
    expect(stoppedAt - lastRenew).toBeGreaterThanOrEqual(renewDeadlineMs);
    expect(stoppedAt - lastRenew).toBeLessThan(leaseDurationMs);
    lock.hang = false; // the API server is back: a stop still releases the lease it names
    await elector.stop();
    expect(lock.stored?.record.holderIdentity).toBe("");
  });
});
