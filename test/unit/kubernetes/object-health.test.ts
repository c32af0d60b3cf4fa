import { describe, expect, it } from "vitest";
import {
  DEFAULT_HEALTH_THRESHOLDS,
  evaluateDeployment,
  evaluateNode,
  evaluateObjectHealth,
  evaluatePod,
} from "../../../server/runtime/kubernetes/object-health";

const NOW = Date.parse("2026-03-10T12:00:00Z");
const ago = (ms: number) => new Date(NOW - ms).toISOString();
const MIN = 60_000;

/** A pod as `kubectl get pod -o json` shows it, running one healthy container. */
function runningPod(overrides: { containerStatuses?: unknown[]; phase?: string; conditions?: unknown[] } = {}) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "checkout-7d9f8b6c5-x2k4q",
      namespace: "shop",
      uid: "5b0b4f1e-5a52-4b43-9d2e-1f6f2f3c9a10",
      resourceVersion: "48213",
      creationTimestamp: ago(120 * MIN),
      labels: { app: "checkout", "pod-template-hash": "7d9f8b6c5" },
      ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "checkout-7d9f8b6c5", uid: "r1", controller: true }],
    },
    spec: { nodeName: "worker-2", containers: [{ name: "app", image: "registry.local/checkout:1.8.2" }] },
    status: {
      phase: overrides.phase ?? "Running",
      conditions: overrides.conditions ?? [
        { type: "PodScheduled", status: "True", lastTransitionTime: ago(120 * MIN) },
        { type: "Ready", status: "True", lastTransitionTime: ago(119 * MIN) },
      ],
      hostIP: "10.0.0.12",
      podIP: "10.244.2.17",
      startTime: ago(120 * MIN),
      containerStatuses: overrides.containerStatuses ?? [
        {
          name: "app",
          ready: true,
          restartCount: 0,
          image: "registry.local/checkout:1.8.2",
          imageID: "registry.local/checkout@sha256:1f2e",
          containerID: "containerd://a1b2",
          started: true,
          state: { running: { startedAt: ago(119 * MIN) } },
          lastState: {},
        },
      ],
    },
  };
}

describe("pod health", () => {
  it("finds nothing wrong with a running pod", () => {
    expect(evaluatePod(runningPod(), NOW)).toEqual({ findings: [] });
  });

  it("reports a crash-looping container as critical, with its restarts and last exit", () => {
    const pod = runningPod({
      containerStatuses: [
        {
          name: "app",
          ready: false,
          restartCount: 7,
          state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 5m0s restarting failed container=app" } },
          lastState: { terminated: { exitCode: 137, reason: "OOMKilled", finishedAt: ago(2 * MIN), startedAt: ago(3 * MIN) } },
        },
      ],
    });
    const { findings } = evaluatePod(pod, NOW);
    expect(findings).toEqual([
      {
        severity: "critical",
        reason: "CrashLoopBackOff",
        subject: "app",
        message: "Container app is crash-looping (7 restarts; last exit: OOMKilled, exit code 137).",
      },
    ]);
  });

  it("reports recent frequent restarts above the threshold, and forgets old ones", () => {
    const restarting = (restartCount: number, finishedAgo: number) =>
      runningPod({
        containerStatuses: [
          {
            name: "sidecar",
            ready: true,
            restartCount,
            state: { running: { startedAt: ago(finishedAgo - 1000) } },
            lastState: { terminated: { exitCode: 1, reason: "Error", finishedAt: ago(finishedAgo) } },
          },
        ],
      });
    const recent = evaluatePod(restarting(5, 10 * MIN), NOW);
    expect(recent.findings).toMatchObject([{ severity: "warning", reason: "FrequentRestarts", subject: "sidecar" }]);
    expect(recent.findings[0].message).toBe("Container sidecar has restarted 5 times, last 10m ago; last exit: Error, exit code 1.");
    // It will age out of the window without the pod changing: ask to be looked at again then.
    expect(recent.recheckAfterMs).toBe(DEFAULT_HEALTH_THRESHOLDS.restartWindowMs - 10 * MIN);

    expect(evaluatePod(restarting(3, 10 * MIN), NOW).findings).toEqual([]); // at the threshold, not above
    expect(evaluatePod(restarting(40, 3 * 24 * 60 * MIN), NOW).findings).toEqual([]); // history, not a problem
  });

  it("reports containers that cannot start (image pull back-off)", () => {
    const pod = runningPod({
      phase: "Pending",
      containerStatuses: [
        {
          name: "app",
          ready: false,
          restartCount: 0,
          state: { waiting: { reason: "ImagePullBackOff", message: 'Back-off pulling image "registry.local/checkout:1.9.0"' } },
          lastState: {},
        },
      ],
    });
    const { findings } = evaluatePod(pod, NOW);
    expect(findings.map((f) => [f.severity, f.reason, f.subject])).toEqual([
      ["warning", "ImagePullBackOff", "app"],
      ["warning", "PendingTooLong", undefined],
    ]);
    expect(findings[0].message).toContain('Back-off pulling image "registry.local/checkout:1.9.0"');
  });

  it("reports a pod pending longer than the threshold with the scheduler's reason, since its creation", () => {
    const created = ago(12 * MIN);
    const pod = {
      metadata: { name: "batch-0", namespace: "jobs", creationTimestamp: created },
      spec: { containers: [{ name: "worker", image: "busybox" }] },
      status: {
        phase: "Pending",
        conditions: [
          {
            type: "PodScheduled",
            status: "False",
            reason: "Unschedulable",
            message: "0/3 nodes are available: 3 Insufficient cpu.",
            lastTransitionTime: created,
          },
        ],
      },
    };
    expect(evaluatePod(pod, NOW)).toEqual({
      findings: [
        {
          severity: "warning",
          reason: "PendingTooLong",
          message: "Pod has been Pending for 12m: Unschedulable: 0/3 nodes are available: 3 Insufficient cpu.",
          since: Date.parse(created),
        },
      ],
    });
  });

  it("does not report a pod that is pending only briefly, but asks to be rechecked when it would cross the threshold", () => {
    const pod = { metadata: { name: "web-1", namespace: "default", creationTimestamp: ago(2 * MIN) }, status: { phase: "Pending" } };
    expect(evaluatePod(pod, NOW)).toEqual({ findings: [], recheckAfterMs: DEFAULT_HEALTH_THRESHOLDS.pendingMs - 2 * MIN });
    expect(evaluatePod(pod, NOW, { ...DEFAULT_HEALTH_THRESHOLDS, pendingMs: MIN }).findings).toHaveLength(1);
  });

  it("accepts client-node models with Date timestamps as well as raw JSON", () => {
    const pod = { metadata: { name: "web-1", namespace: "default", creationTimestamp: new Date(NOW - 30 * MIN) }, status: { phase: "Pending" } };
    expect(evaluatePod(pod, NOW).findings).toMatchObject([{ reason: "PendingTooLong", since: NOW - 30 * MIN }]);
  });

  it("ignores a pod being deleted, and reports an evicted pod as failed", () => {
    const terminating = runningPod({
      containerStatuses: [{ name: "app", restartCount: 9, state: { waiting: { reason: "CrashLoopBackOff" } } }],
    });
    (terminating.metadata as Record<string, unknown>).deletionTimestamp = ago(MIN);
    expect(evaluatePod(terminating, NOW).findings).toEqual([]);

    const evicted = {
      metadata: { name: "cache-5", namespace: "default", creationTimestamp: ago(300 * MIN) },
      status: { phase: "Failed", reason: "Evicted", message: "The node was low on resource: memory." },
    };
    expect(evaluatePod(evicted, NOW).findings).toEqual([
      { severity: "warning", reason: "PodFailed", message: "Pod failed: Evicted: The node was low on resource: memory." },
    ]);
  });

  it("yields nothing for something that is not a pod", () => {
    expect(evaluatePod({ hello: "world" }, NOW)).toEqual({ findings: [] });
    expect(evaluatePod(null, NOW)).toEqual({ findings: [] });
  });
});

/** A deployment as the API returns it. */
function deployment(spec: { replicas?: number }, status: Record<string, unknown>, generation = 4) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "checkout", namespace: "shop", generation, creationTimestamp: ago(3000 * MIN) },
    spec: { replicas: spec.replicas, selector: { matchLabels: { app: "checkout" } }, strategy: { type: "RollingUpdate" } },
    status,
  };
}

const available = (status: "True" | "False", at: string) => ({
  type: "Available",
  status,
  reason: status === "True" ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
  message: status === "True" ? "Deployment has minimum availability." : "Deployment does not have minimum availability.",
  lastTransitionTime: at,
  lastUpdateTime: at,
});

describe("deployment health", () => {
  it("finds nothing wrong with a fully available deployment", () => {
    const healthy = deployment(
      { replicas: 3 },
      { observedGeneration: 4, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, conditions: [available("True", ago(MIN))] },
    );
    expect(evaluateDeployment(healthy, NOW)).toEqual({ findings: [] });
  });

  it("reports unavailable replicas as a warning, and none available as critical since Available went False", () => {
    const partial = deployment(
      { replicas: 3 },
      { observedGeneration: 4, replicas: 3, updatedReplicas: 3, availableReplicas: 2, unavailableReplicas: 1, conditions: [available("True", ago(MIN))] },
    );
    expect(evaluateDeployment(partial, NOW).findings).toEqual([
      { severity: "warning", reason: "ReplicasUnavailable", message: "2 of 3 replicas available (1 unavailable).", since: undefined },
    ]);

    const down = deployment(
      { replicas: 3 },
      { observedGeneration: 4, replicas: 3, updatedReplicas: 3, unavailableReplicas: 3, conditions: [available("False", ago(7 * MIN))] },
    );
    expect(evaluateDeployment(down, NOW).findings).toEqual([
      { severity: "critical", reason: "ReplicasUnavailable", message: "0 of 3 replicas available (3 unavailable).", since: NOW - 7 * MIN },
    ]);
  });

  it("treats the default of one replica as desired, and scaled-to-zero as healthy", () => {
    expect(evaluateDeployment(deployment({}, {}), NOW).findings).toMatchObject([{ severity: "critical", reason: "ReplicasUnavailable" }]);
    expect(evaluateDeployment(deployment({ replicas: 0 }, {}), NOW).findings).toEqual([]);
  });

  it("marks a shortfall during a rollout as info, and a rollout past its deadline as critical", () => {
    const rolling = deployment(
      { replicas: 4 },
      {
        observedGeneration: 5,
        replicas: 5,
        updatedReplicas: 2,
        availableReplicas: 3,
        unavailableReplicas: 2,
        conditions: [
          available("True", ago(60 * MIN)),
          { type: "Progressing", status: "True", reason: "ReplicaSetUpdated", message: 'ReplicaSet "checkout-6c" is progressing.', lastTransitionTime: ago(MIN) },
        ],
      },
      5,
    );
    expect(evaluateDeployment(rolling, NOW).findings).toEqual([
      {
        severity: "info",
        reason: "ReplicasUnavailable",
        message: "3 of 4 replicas available (2 unavailable) while a rollout is in progress.",
        since: undefined,
      },
    ]);

    const stuck = deployment(
      { replicas: 4 },
      {
        observedGeneration: 5,
        replicas: 5,
        updatedReplicas: 1,
        availableReplicas: 4,
        unavailableReplicas: 1,
        conditions: [
          available("True", ago(60 * MIN)),
          {
            type: "Progressing",
            status: "False",
            reason: "ProgressDeadlineExceeded",
            message: 'ReplicaSet "checkout-6c" has timed out progressing',
            lastTransitionTime: ago(20 * MIN),
          },
        ],
      },
      5,
    );
    expect(evaluateDeployment(stuck, NOW).findings[0]).toEqual({
      severity: "critical",
      reason: "ProgressDeadlineExceeded",
      message: 'Rollout stalled: ReplicaSet "checkout-6c" has timed out progressing.',
      since: NOW - 20 * MIN,
    });
  });
});

/** A node as the API returns it. */
function node(conditions: { type: string; status: string; reason?: string; message?: string; at?: string }[], unschedulable?: boolean) {
  const standard = ["MemoryPressure", "DiskPressure", "PIDPressure"].map((type) => ({
    type,
    status: "False",
    reason: `KubeletHasSufficient${type.replace("Pressure", "")}`,
    lastHeartbeatTime: ago(0),
    lastTransitionTime: ago(5000 * MIN),
  }));
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: "worker-2", labels: { "kubernetes.io/hostname": "worker-2" }, creationTimestamp: ago(9000 * MIN) },
    spec: { podCIDR: "10.244.2.0/24", ...(unschedulable ? { unschedulable: true } : {}) },
    status: {
      conditions: [
        ...standard.filter((s) => !conditions.some((c) => c.type === s.type)),
        ...conditions.map((c) => ({ ...c, lastHeartbeatTime: ago(0), lastTransitionTime: c.at ?? ago(MIN) })),
      ],
      nodeInfo: { kubeletVersion: "v1.31.4" },
    },
  };
}

describe("node health", () => {
  it("finds nothing wrong with a Ready node", () => {
    expect(evaluateNode(node([{ type: "Ready", status: "True", reason: "KubeletReady" }]), NOW)).toEqual({ findings: [] });
  });

  it("reports a node that is not Ready, or whose kubelet stopped reporting, as critical since the transition", () => {
    const notReady = node([{ type: "Ready", status: "False", reason: "KubeletNotReady", message: "container runtime is down", at: ago(4 * MIN) }]);
    expect(evaluateNode(notReady, NOW).findings).toEqual([
      { severity: "critical", reason: "NodeNotReady", message: "Node is not Ready: container runtime is down.", since: NOW - 4 * MIN },
    ]);
    const unknown = node([{ type: "Ready", status: "Unknown", reason: "NodeStatusUnknown", message: "Kubelet stopped posting node status." }]);
    expect(evaluateNode(unknown, NOW).findings).toMatchObject([
      { severity: "critical", reason: "NodeStatusUnknown", message: "Node stopped reporting its status: Kubelet stopped posting node status." },
    ]);
  });

  it("reports resource pressure as a warning and a cordon as info", () => {
    const pressured = node(
      [
        { type: "Ready", status: "True" },
        { type: "DiskPressure", status: "True", reason: "KubeletHasDiskPressure", message: "kubelet has disk pressure" },
      ],
      true,
    );
    expect(evaluateNode(pressured, NOW).findings.map((f) => [f.severity, f.reason])).toEqual([
      ["warning", "DiskPressure"],
      ["info", "NodeCordoned"],
    ]);
  });
});

describe("evaluateObjectHealth", () => {
  it("dispatches on the watched kind and has no rules for other kinds", () => {
    const crash = runningPod({ containerStatuses: [{ name: "app", restartCount: 4, state: { waiting: { reason: "CrashLoopBackOff" } } }] });
    expect(evaluateObjectHealth("pods", crash, NOW).findings).toHaveLength(1);
    expect(evaluateObjectHealth("services", crash, NOW)).toEqual({ findings: [] });
  });
});
