import { CoordinationV1Api, type V1Lease } from "@kubernetes/client-node";
import { Registry } from "prom-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ClusterHealthReconciler } from "../../../server/runtime/kubernetes/cluster-health";
import { KubernetesSource } from "../../../server/runtime/kubernetes/kubernetes-source";
import { listObjects } from "../../../server/runtime/kubernetes/list";
import { type ApiServerFixture, startApiServerFixture, waitUntil } from "../../support/apiserver";

let fixture: ApiServerFixture;
let source: KubernetesSource | undefined;

beforeEach(async () => {
  fixture = await startApiServerFixture();
});
afterEach(async () => {
  await source?.stop();
  source = undefined;
  await fixture.close();
});

describe("listObjects", () => {
  it("follows continue tokens page by page and returns the snapshot's resourceVersion", async () => {
    for (let i = 0; i < 7; i++) fixture.add("pods", { metadata: { name: `p-${i}`, namespace: i % 2 ? "a" : "b" } });
    const list = await listObjects(fixture.kubeConfig(), "/api/v1/pods", { pageSize: 3 });
    expect(list.items.map((p) => p.metadata.name).sort()).toEqual(["p-0", "p-1", "p-2", "p-3", "p-4", "p-5", "p-6"]);
    expect(list.metadata.resourceVersion).toBe(String(fixture.resourceVersion()));
    const pages = fixture.requests.filter((r) => r.path === "/api/v1/pods");
    expect(pages.map((r) => r.query.limit)).toEqual(["3", "3", "3"]);
    expect(pages.filter((r) => r.query.continue).length).toBe(2);
  });

  it("fails with the API server's message and a hint on 401/403", async () => {
    fixture.failNextList(403);
    await expect(listObjects(fixture.kubeConfig(), "/apis/apps/v1/deployments")).rejects.toThrow(
      /list \/apis\/apps\/v1\/deployments failed with HTTP 403: injected failure 403 \(check the credentials/,
    );
  });
});

describe("the API server fixture's leases (for leader election)", () => {
  it("creates, reads and replaces a Lease with resourceVersion conflicts, through the real client", async () => {
    const api = fixture.kubeConfig().makeApiClient(CoordinationV1Api);
    const body: V1Lease = {
      metadata: { name: "loopscope-leader", namespace: "loopscope" },
      spec: { holderIdentity: "pod-a", leaseDurationSeconds: 15 },
    };
    const created = await api.createNamespacedLease({ namespace: "loopscope", body });
    expect(created.spec?.holderIdentity).toBe("pod-a");
    await expect(api.createNamespacedLease({ namespace: "loopscope", body })).rejects.toMatchObject({ code: 409 });

    const read = await api.readNamespacedLease({ name: "loopscope-leader", namespace: "loopscope" });
    const renewed = await api.replaceNamespacedLease({
      name: "loopscope-leader",
      namespace: "loopscope",
      body: { ...read, spec: { ...read.spec, holderIdentity: "pod-b" } },
    });
    expect(renewed.spec?.holderIdentity).toBe("pod-b");
    expect(Number(renewed.metadata?.resourceVersion)).toBeGreaterThan(Number(read.metadata?.resourceVersion));

    // A writer holding the old resourceVersion loses.
    await expect(
      api.replaceNamespacedLease({ name: "loopscope-leader", namespace: "loopscope", body: { ...read, spec: { ...read.spec, holderIdentity: "pod-c" } } }),
    ).rejects.toMatchObject({ code: 409 });
    await expect(api.readNamespacedLease({ name: "missing", namespace: "loopscope" })).rejects.toMatchObject({ code: 404 });
    expect(fixture.get("leases", "loopscope/loopscope-leader")?.spec).toMatchObject({ holderIdentity: "pod-b" });
  });

  it("refuses requests without the bearer token", async () => {
    const response = await fetch(`${fixture.url}/api/v1/pods`);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ kind: "Status", code: 401, reason: "Unauthorized" });
  });
});

describe("cluster health from live informers", () => {
  it("turns events from the cluster into findings and clears them when the object recovers or goes", async () => {
    const registry = new Registry();
    source = new KubernetesSource({ kubeConfig: fixture.kubeConfig(), registry, resyncMs: 0, backoff: { initialMs: 20, jitter: 0 } });
    const health = new ClusterHealthReconciler({ lookup: (kind, key) => source?.get(kind, key) });
    const reconciles: Promise<void>[] = [];
    await source.start((event) => {
      reconciles.push(health.reconcilerFor(event.controller)({ key: event.key, signal: new AbortController().signal }));
    });
    await source.waitForSync();

    fixture.add("nodes", {
      metadata: { name: "worker-1" },
      status: { conditions: [{ type: "Ready", status: "False", message: "PLEG is not healthy", lastTransitionTime: "2026-03-10T11:55:00Z" }] },
    });
    fixture.add("pods", {
      metadata: { name: "api-1", namespace: "prod" },
      status: { phase: "Running", containerStatuses: [{ name: "api", restartCount: 9, state: { waiting: { reason: "CrashLoopBackOff" } } }] },
    });
    await waitUntil("both findings", () => health.findings().length === 2);
    expect(health.findings().map((f) => `${f.severity} ${f.kind} ${f.key} ${f.reason}`)).toEqual([
      "critical nodes worker-1 NodeNotReady",
      "critical pods prod/api-1 CrashLoopBackOff",
    ]);

    fixture.update("nodes", { metadata: { name: "worker-1" }, status: { conditions: [{ type: "Ready", status: "True" }] } });
    fixture.delete("pods", "prod/api-1");
    await waitUntil("the findings clear", () => health.findings().length === 0);
    await Promise.all(reconciles);

    fixture.failNextWatch(500, { kind: "nodes" });
    fixture.closeWatches("nodes");
    await waitUntil("the nodes watch restarted", () => source?.watches().find((w) => w.kind === "nodes")?.restarts === 1);
    await waitUntil("the pods watch is connected", () => source?.watches().find((w) => w.kind === "pods")?.connected);
    const text = await registry.metrics();
    expect(text).toContain('loopscope_watch_restarts_total{kind="nodes",cause="error"} 1');
    expect(text).toMatch(/loopscope_watch_objects\{kind="nodes"\} 1/);
    expect(text).toMatch(/loopscope_watch_connected\{kind="pods"\} 1/);
  });
});
