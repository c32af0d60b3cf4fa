import { describe, expect, it } from "vitest";
import { ClusterHealthReconciler } from "../../../server/runtime/kubernetes/cluster-health";
import { FindingsStore } from "../../../server/runtime/kubernetes/findings";

const MIN = 60_000;
const T0 = Date.parse("2026-03-10T12:00:00Z");

const crashingPod = (restartCount: number) => ({
  metadata: { name: "api-1", namespace: "prod", creationTimestamp: new Date(T0 - 60 * MIN).toISOString() },
  status: {
    phase: "Running",
    containerStatuses: [{ name: "api", restartCount, state: { waiting: { reason: "CrashLoopBackOff" } } }],
  },
});
const notReadyNode = (since: number) => ({
  metadata: { name: "worker-1" },
  status: { conditions: [{ type: "Ready", status: "False", message: "PLEG is not healthy", lastTransitionTime: new Date(since).toISOString() }] },
});

function harness() {
  const objects = new Map<string, unknown>();
  let now = T0;
  const rechecks: [string, string, number][] = [];
  const reconciler = new ClusterHealthReconciler({
    lookup: (kind, key) => objects.get(`${kind}:${key}`),
    now: () => now,
    recheck: (kind, key, afterMs) => rechecks.push([kind, key, afterMs]),
  });
  const run = (kind: string, key: string) => reconciler.reconcilerFor(kind)({ key, signal: new AbortController().signal });
  return {
    objects,
    reconciler,
    rechecks,
    run,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe("ClusterHealthReconciler", () => {
  it("records findings for the cached object, keeps `since` while the condition persists, and clears them when healthy", async () => {
    const h = harness();
    h.objects.set("pods:prod/api-1", crashingPod(4));
    await h.run("pods", "prod/api-1");
    expect(h.reconciler.findings()).toEqual([
      {
        id: "pods/prod/api-1/CrashLoopBackOff/api",
        severity: "critical",
        kind: "pods",
        key: "prod/api-1",
        reason: "CrashLoopBackOff",
        subject: "api",
        message: "Container api is crash-looping (4 restarts).",
        since: T0,
        updatedAt: T0,
      },
    ]);

    h.advance(5 * MIN);
    h.objects.set("pods:prod/api-1", crashingPod(6));
    await h.run("pods", "prod/api-1");
    expect(h.reconciler.findings()).toMatchObject([{ since: T0, updatedAt: T0 + 5 * MIN, message: "Container api is crash-looping (6 restarts)." }]);

    h.objects.set("pods:prod/api-1", { metadata: { name: "api-1", namespace: "prod" }, status: { phase: "Running" } });
    await h.run("pods", "prod/api-1");
    expect(h.reconciler.findings()).toEqual([]);
  });

  it("drops an object's findings when it is no longer in the cache (deleted)", async () => {
    const h = harness();
    h.objects.set("nodes:worker-1", notReadyNode(T0 - 3 * MIN));
    await h.run("nodes", "worker-1");
    expect(h.reconciler.findings()).toMatchObject([{ kind: "nodes", key: "worker-1", reason: "NodeNotReady", since: T0 - 3 * MIN }]);
    h.objects.delete("nodes:worker-1");
    await h.run("nodes", "worker-1");
    expect(h.reconciler.findings()).toEqual([]);
  });

  it("asks for a recheck when a threshold will be crossed without a change", async () => {
    const h = harness();
    h.objects.set("pods:prod/new-1", { metadata: { name: "new-1", namespace: "prod", creationTimestamp: new Date(T0 - MIN).toISOString() }, status: { phase: "Pending" } });
    await h.run("pods", "prod/new-1");
    expect(h.reconciler.findings()).toEqual([]);
    expect(h.rechecks).toEqual([["pods", "prod/new-1", 4 * MIN]]);
    h.advance(4 * MIN);
    await h.run("pods", "prod/new-1");
    expect(h.reconciler.findings()).toMatchObject([{ reason: "PendingTooLong", since: T0 - MIN }]);
  });

  it("does nothing once its signal is aborted", async () => {
    const h = harness();
    h.objects.set("nodes:worker-1", notReadyNode(T0));
    const controller = new AbortController();
    controller.abort();
    await h.reconciler.reconcilerFor("nodes")({ key: "worker-1", signal: controller.signal });
    expect(h.reconciler.findings()).toEqual([]);
  });

  it("lists the most severe first, then the longest-standing, and filters", async () => {
    const h = harness();
    h.objects.set("nodes:worker-1", notReadyNode(T0 - 2 * MIN));
    h.objects.set("nodes:worker-2", { ...notReadyNode(T0 - 9 * MIN), metadata: { name: "worker-2" } });
    h.objects.set("deployments:prod/web", { metadata: { name: "web", namespace: "prod" }, spec: { replicas: 3 }, status: { availableReplicas: 2 } });
    for (const [kind, key] of [["deployments", "prod/web"], ["nodes", "worker-1"], ["nodes", "worker-2"]]) await h.run(kind, key);
    expect(h.reconciler.findings().map((f) => `${f.severity} ${f.key}`)).toEqual(["critical worker-2", "critical worker-1", "warning prod/web"]);
    expect(h.reconciler.findings({ kind: "deployments" })).toHaveLength(1);
    expect(h.reconciler.findings({ severity: "critical" })).toHaveLength(2);
    expect(h.reconciler.counts()).toEqual({ critical: 2, warning: 1, info: 0 });
  });
});

describe("FindingsStore", () => {
  it("stays within its bound by dropping the least severe, least recently confirmed findings", () => {
    const store = new FindingsStore(3);
    store.replace("pods", "a", [{ severity: "info", reason: "X", message: "x" }], 1);
    store.replace("pods", "b", [{ severity: "warning", reason: "X", message: "x" }], 2);
    store.replace("pods", "c", [{ severity: "info", reason: "X", message: "x" }], 3);
    store.replace("pods", "d", [{ severity: "critical", reason: "X", message: "x" }], 4);
    expect(store.size).toBe(3);
    expect(store.dropped).toBe(1);
    expect(store.findings().map((f) => f.key)).toEqual(["d", "b", "c"]);
    store.replace("pods", "e", [
      { severity: "critical", reason: "Y", subject: "one", message: "y" },
      { severity: "critical", reason: "Y", subject: "two", message: "y" },
    ], 5);
    expect(store.size).toBe(3);
    expect(store.findings().map((f) => f.id)).toEqual(["pods/d/X", "pods/e/Y/one", "pods/e/Y/two"]);
    store.remove("pods", "e");
    expect(store.size).toBe(1);
  });
});
