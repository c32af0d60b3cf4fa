import pino from "pino";
import { describe, expect, it, vi } from "vitest";
import { LeaderGate } from "../../../server/leader/leader-gate";
import { DEFAULT_TIMINGS } from "../../../server/leader/lease-record";
import { LeaderElectionConfigError, leaderSettings } from "../../../server/leader/settings";
import type { BackgroundService } from "../../../server/lifecycle/service-set";
import type { DetectedCluster } from "../../../server/runtime/kubernetes/kubeconfig";
import { FakeLeaseLock, ManualClock } from "./fake-lease-lock";

const quiet = pino({ level: "silent" });

/** Builds sets of services that log their starts and stops, one generation per build. */
function recordingBuilder() {
  const log: string[] = [];
  let generation = 0;
  const build = (): BackgroundService[] => {
    generation += 1;
    const g = generation;
    return ["runtime", "scrape", "alerting"].map((name) => ({
      name,
      start: async () => {
        log.push(`start ${name}#${g}`);
      },
      stop: async () => {
        log.push(`stop ${name}#${g}`);
      },
    }));
  };
  return { log, build, builds: () => generation };
}

async function settle(gate: LeaderGate): Promise<void> {
  // Transitions run on the gate's queue; wait for it to drain.
  await (gate as unknown as { chain: Promise<void> }).chain;
}

describe("leader gate", () => {
  it("runs the leader-only services only while leading, with a fresh set per term", async () => {
    const lock = new FakeLeaseLock();
    const clock = new ManualClock();
    const services = recordingBuilder();
    const gate = new LeaderGate({
      election: { name: "loopscope", identity: "a", lock, clock: clock.read, log: quiet },
      build: services.build,
      stopBudgetMs: 1_000,
      log: quiet,
    });
    expect(services.builds()).toBe(1); // built up front, not started: a follower can serve their read side
    expect(services.log).toEqual([]);

    await gate.elector.tryAcquireOrRenew();
    await settle(gate);
    expect(services.log).toEqual(["start runtime#1", "start scrape#1", "start alerting#1"]);
    expect(gate.runningServices).toEqual(["runtime", "scrape", "alerting"]);

    // Lost: another replica wrote the lease after this one was paused past its lease.
    lock.touch({ holderIdentity: "b", acquireTime: clock.now, renewTime: clock.now, leaseTransitions: 1 });
    await gate.elector.tryAcquireOrRenew();
    await settle(gate);
    expect(services.log.slice(3)).toEqual(["stop alerting#1", "stop scrape#1", "stop runtime#1"]);
    expect(gate.runningServices).toEqual([]);
    expect(services.builds()).toBe(2);

    // b goes away; a takes over again with the new set.
    clock.advance(DEFAULT_TIMINGS.leaseDurationMs);
    await gate.elector.tryAcquireOrRenew();
    await settle(gate);
    expect(services.log.slice(6)).toEqual(["start runtime#2", "start scrape#2", "start alerting#2"]);
    expect(gate.termsStarted).toBe(2);

    await gate.stop();
    expect(services.log.slice(9)).toEqual(["stop alerting#2", "stop scrape#2", "stop runtime#2"]);
    expect(lock.stored?.record.holderIdentity).toBe("");
  });

  it("resigns when a leader-only service fails to start, stopping what had started", async () => {
    const lock = new FakeLeaseLock();
    const clock = new ManualClock();
    const log: string[] = [];
    const gate = new LeaderGate({
      election: { name: "loopscope", identity: "a", lock, clock: clock.read, log: quiet },
      build: () => [
        { name: "ok", start: async () => void log.push("start ok"), stop: async () => void log.push("stop ok") },
        {
          name: "broken",
          start: async () => {
            throw new Error("boom");
          },
          stop: async () => void log.push("stop broken"),
        },
      ],
      stopBudgetMs: 1_000,
      log: quiet,
    });
    await gate.elector.tryAcquireOrRenew();
    await settle(gate);
    await settle(gate);
    expect(gate.elector.isLeader).toBe(false);
    expect(log).toEqual(["start ok", "stop broken", "stop ok"]);
    await vi.waitFor(() => expect(lock.stored?.record.holderIdentity).toBe(""));
    await gate.stop();
  });

  it("stops waiting for a service that hangs in stop after the budget", async () => {
    const lock = new FakeLeaseLock();
    const clock = new ManualClock();
    const gate = new LeaderGate({
      election: { name: "loopscope", identity: "a", lock, clock: clock.read, log: quiet },
      build: () => [{ name: "stuck", start: async () => undefined, stop: () => new Promise<void>(() => undefined) }],
      stopBudgetMs: 10,
      log: quiet,
    });
    await gate.elector.tryAcquireOrRenew();
    await settle(gate);
    await gate.stop(); // resolves although "stuck" never finishes stopping
    expect(gate.runningServices).toEqual([]);
  });
});

describe("leader election settings", () => {
  const base = {
    LOOPSCOPE_LEADER_ELECTION: "auto" as const,
    LOOPSCOPE_LEASE_NAME: "loopscope",
    LOOPSCOPE_LEASE_NAMESPACE: undefined,
    LOOPSCOPE_REPLICA_ID: undefined,
    LOOPSCOPE_LEASE_DURATION: 15_000,
    LOOPSCOPE_LEASE_RENEW_DEADLINE: 10_000,
    LOOPSCOPE_LEASE_RETRY_PERIOD: 2_000,
    POD_NAME: undefined,
  };
  const cluster = (origin: DetectedCluster["origin"]) => ({ origin }) as DetectedCluster;
  const host = { hostname: "box", pid: 42, serviceAccountDir: "/nonexistent" };

  it("auto: on in a cluster, off for the demo and for a laptop's kubeconfig", () => {
    expect(leaderSettings(base, undefined, host)).toMatchObject({ enabled: false });
    expect(leaderSettings(base, cluster("KUBECONFIG"), host)).toMatchObject({ enabled: false });
    expect(leaderSettings(base, cluster("in-cluster"), host)).toMatchObject({
      enabled: true,
      name: "loopscope",
      namespace: "default",
      identity: "box-42",
      timings: DEFAULT_TIMINGS,
    });
  });

  it("on: needs a cluster; identity from LOOPSCOPE_REPLICA_ID, then POD_NAME", () => {
    expect(() => leaderSettings({ ...base, LOOPSCOPE_LEADER_ELECTION: "on" }, undefined, host)).toThrow(LeaderElectionConfigError);
    expect(leaderSettings({ ...base, LOOPSCOPE_LEADER_ELECTION: "on", POD_NAME: "loopscope-7d9-x" }, cluster("KUBECONFIG"), host)).toMatchObject({
      enabled: true,
      identity: "loopscope-7d9-x",
    });
    expect(
      leaderSettings({ ...base, LOOPSCOPE_LEADER_ELECTION: "on", POD_NAME: "p", LOOPSCOPE_REPLICA_ID: "r1", LOOPSCOPE_LEASE_NAMESPACE: "ops" }, cluster("KUBECONFIG"), host),
    ).toMatchObject({ identity: "r1", namespace: "ops" });
    expect(leaderSettings({ ...base, LOOPSCOPE_LEADER_ELECTION: "off" }, cluster("in-cluster"), host)).toMatchObject({ enabled: false });
  });

  it("refuses timings client-go would refuse", () => {
    expect(() => leaderSettings({ ...base, LOOPSCOPE_LEADER_ELECTION: "on", LOOPSCOPE_LEASE_RENEW_DEADLINE: 20_000 }, cluster("in-cluster"), host)).toThrow(
      /LOOPSCOPE_LEASE_DURATION.*must be greater than the renew deadline/,
    );
  });
});
