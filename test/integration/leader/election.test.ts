import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubernetesLeaseLock } from "../../../server/leader/kubernetes-lease-lock";
import { LeaderGate } from "../../../server/leader/leader-gate";
import type { ElectionTimings, LeaseLock } from "../../../server/leader/lease-record";
import type { BackgroundService } from "../../../server/lifecycle/service-set";
import { type ApiServerFixture, startApiServerFixture, waitUntil } from "../../support/apiserver";

/**
 * Two replicas in one process, each with its own elector and service set, electing
 * through the real client-node CoordinationV1Api against the loopback API server.
 * Short timings keep it quick; the semantics are the same as with 15 s / 10 s / 2 s.
 */
const timings: ElectionTimings = { leaseDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 200 };
const quiet = pino({ level: "silent" });

interface Replica {
  id: string;
  gate: LeaderGate;
  lock: PartitionableLock;
}

/** The real lock, plus a switch that cuts this replica off from the API server. */
class PartitionableLock implements LeaseLock {
  partitioned = false;
  constructor(private readonly inner: KubernetesLeaseLock) {}
  get description() {
    return this.inner.description;
  }
  private check() {
    if (this.partitioned) throw new Error("connect ETIMEDOUT (partitioned)");
  }
  async get() {
    this.check();
    return this.inner.get();
  }
  async create(record: Parameters<LeaseLock["create"]>[0]) {
    this.check();
    return this.inner.create(record);
  }
  async update(record: Parameters<LeaseLock["update"]>[0], version: string) {
    this.check();
    return this.inner.update(record, version);
  }
}

describe("leader election through a coordination.k8s.io Lease (loopback API server)", () => {
  let api: ApiServerFixture;
  const events: string[] = [];
  const replicas: Replica[] = [];

  const makeReplica = (id: string): Replica => {
    const lock = new PartitionableLock(new KubernetesLeaseLock(api.kubeConfig(), "default", "loopscope"));
    const build = (): BackgroundService[] => [
      { name: "controller-loop", start: async () => void events.push(`${id} start@${Date.now()}`), stop: async () => void events.push(`${id} stop@${Date.now()}`) },
    ];
    const gate = new LeaderGate({ election: { name: "loopscope", identity: id, lock, timings, log: quiet }, build, stopBudgetMs: 300, log: quiet });
    return { id, gate, lock };
  };
  const leaders = () => replicas.filter((r) => r.gate.runningServices.length > 0).map((r) => r.id);
  const lease = () => api.get("leases", "default/loopscope");
  const leaseSpec = () => (lease()?.spec ?? {}) as Record<string, unknown>;

  beforeAll(async () => {
    api = await startApiServerFixture();
    replicas.push(makeReplica("replica-a"), makeReplica("replica-b"));
    for (const r of replicas) await r.gate.start();
  });

  afterAll(async () => {
    for (const r of replicas) await r.gate.stop();
    await api.close();
  });

  it("elects exactly one leader, which alone runs the leader-only services", async () => {
    const leader = await waitUntil("one replica leads", () => (leaders().length === 1 ? leaders()[0] : undefined), { timeoutMs: 10_000 });
    // Over many retry periods the other replica never starts its services.
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, timings.retryPeriodMs));
      expect(leaders()).toEqual([leader]);
    }
    const spec = leaseSpec();
    expect(spec).toMatchObject({ holderIdentity: leader, leaseDurationSeconds: 2, leaseTransitions: 0 });
    // MicroTime: RFC 3339 with microseconds, as kube-apiserver stores it.
    expect(spec.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(Date.parse(String(spec.renewTime))).toBeGreaterThan(Date.parse(String(spec.acquireTime)));
    // Leases are written with a resourceVersion precondition (PUT), never blindly.
    const puts = api.requests.filter((r) => r.kind === "leases" && r.method === "PUT");
    expect(puts.length).toBeGreaterThan(0);
    const follower = replicas.find((r) => r.id !== leader);
    expect(follower?.gate.status()).toMatchObject({ leader: false, holder: leader });
  });

  it("a leader cut off from the API server stops its services before the other replica takes over", async () => {
    const leader = replicas.find((r) => r.gate.runningServices.length > 0);
    if (!leader) throw new Error("no leader");
    const other = replicas.find((r) => r !== leader);
    if (!other) throw new Error("no follower");
    const before = events.length;
    const lastRenew = Date.parse(String(leaseSpec().renewTime));
    leader.lock.partitioned = true;
    await waitUntil("the other replica leads", () => other.gate.runningServices.length > 0, { timeoutMs: 15_000 });
    expect(leader.gate.runningServices).toEqual([]);
    const after = events.slice(before);
    expect(after.map((e) => e.split("@")[0])).toEqual([`${leader.id} stop`, `${other.id} start`]);
    const stoppedAt = Number(after[0].split("@")[1]);
    const startedAt = Number(after[1].split("@")[1]);
    expect(stoppedAt).toBeLessThan(startedAt);
    // Safety: the takeover waited a full lease duration after the old leader's last renewal,
    // and the old leader had stopped within it.
    const spec = leaseSpec();
    expect(spec).toMatchObject({ holderIdentity: other.id, leaseTransitions: 1 });
    expect(Date.parse(String(spec.acquireTime)) - lastRenew).toBeGreaterThanOrEqual(timings.leaseDurationMs);
    expect(stoppedAt - lastRenew).toBeLessThan(timings.leaseDurationMs);
    leader.lock.partitioned = false;
  });

  it("the replica that lost the lease follows, and a clean stop of the leader hands over at once (lease released)", async () => {
    const leader = replicas.find((r) => r.gate.runningServices.length > 0);
    const follower = replicas.find((r) => r !== leader);
    if (!leader || !follower) throw new Error("expected a leader and a follower");
    await waitUntil("the old leader sees the new holder", () => follower.gate.status().holder === leader.id, { timeoutMs: 10_000 });
    expect(follower.gate.runningServices).toEqual([]);
    const transitions = Number(leaseSpec().leaseTransitions);
    await leader.gate.stop();
    const released = leaseSpec();
    expect(released).toMatchObject({ holderIdentity: "", leaseDurationSeconds: 1 });
    await waitUntil("the follower takes over", () => follower.gate.runningServices.length > 0, { timeoutMs: 10_000 });
    expect(leaseSpec().leaseTransitions).toBe(transitions + 1);
    expect(leaders()).toEqual([follower.id]);
    // The stopped replica can come back; it follows.
    await leader.gate.start();
    await waitUntil("the restarted replica observes the holder", () => leader.gate.status().holder === follower.id, { timeoutMs: 10_000 });
    expect(leaders()).toEqual([follower.id]);
  });
});
