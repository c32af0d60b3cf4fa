import { afterEach, describe, expect, it } from "vitest";
import { ClusterHealthReconciler } from "../../../server/runtime/kubernetes/cluster-health";
import { testServices } from "../../support/services";
import { createCallerFactory } from "../../../server/trpc/init";
import { clusterRouter } from "../../../server/trpc/routers/cluster";

const services = testServices();

const caller = createCallerFactory(clusterRouter)({ headers: new Headers(), services });

const crashLooping = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "api-1", namespace: "shop", uid: "u1", resourceVersion: "7", creationTimestamp: "2026-11-23T10:00:00Z" },
  spec: { containers: [{ name: "api", image: "api:1" }] },
  status: {
    phase: "Running",
    containerStatuses: [{ name: "api", ready: false, restartCount: 9, state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 5m0s" } } }],
  },
};

afterEach(() => services.clusterHealth.withdraw());

describe("cluster router", () => {
  it("says findings are unavailable without a cluster source", async () => {
    services.clusterHealth.off("no real cluster is watched");
    expect(await caller.findings()).toEqual({ available: false, counts: null, findings: [] });
  });

  it("a follower says so instead of reporting nothing", async () => {
    services.clusterHealth.follow(undefined, () => "replica-a");
    await expect(caller.findings()).rejects.toMatchObject({ code: "PRECONDITION_FAILED", message: expect.stringMatching(/This replica is a follower: .* leader \(replica-a\)/) });
  });

  it("lists what the health reconciler found, by kind", async () => {
    const objects = new Map<string, unknown>([["pods/shop/api-1", crashLooping]]);
    const health = new ClusterHealthReconciler({ lookup: (kind, key) => objects.get(`${kind}/${key}`) });
    services.clusterHealth.provide(health);
    await health.reconcilerFor("pods")({ key: "shop/api-1", signal: new AbortController().signal });
    const result = await caller.findings({ kind: "pods", limit: 10 });
    expect(result.available).toBe(true);
    expect(result.findings.some((f) => f.key === "shop/api-1" && f.severity === "critical" && /CrashLoop/i.test(f.reason))).toBe(true);
    expect((await caller.findings({ kind: "nodes", limit: 10 })).findings).toEqual([]);
  });
});
