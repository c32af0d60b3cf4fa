import { AppsV1Api, CoreV1Api, type V1Pod } from "@kubernetes/client-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { KubernetesSourceOptions } from "../../../server/runtime/kubernetes/kubernetes-source";
import { waitUntil } from "../../support/apiserver";
import { type PartitionProxy, type RealApiServer, startPartitionProxy, startRealApiServer } from "../../support/kube-apiserver";
import { SourceUnderTest } from "../../support/source-under-test";

/**
 * The Kubernetes source's informers against a real kube-apiserver and etcd (built from
 * their Go modules; see scripts/build-kube-apiserver.sh): list/watch of every kind,
 * a real 410 Gone after etcd compaction, and watch restarts across a network cut.
 * Faults a real server will not produce on demand (a 500 on watch, a stalled stream,
 * a 403 list) stay in kubernetes-source.test.ts against the loopback fixture.
 */

let api: RealApiServer;
let core: CoreV1Api;
let apps: AppsV1Api;
let proxy: PartitionProxy | undefined;
const sut = new SourceUnderTest();
const { events, seen, health } = sut;

const fast: Partial<KubernetesSourceOptions> = { registry: false, resyncMs: 0, backoff: { initialMs: 50, maxMs: 500, jitter: 0 } };

const pod = (namespace: string, name: string): V1Pod => ({
  metadata: { name, namespace, labels: { app: name } },
  spec: { containers: [{ name: "main", image: "registry.invalid/never-pulled:1" }] },
});

/** A namespace with its default service account (no controller-manager runs here to create it). */
async function createNamespace(name: string): Promise<void> {
  await core.createNamespace({ body: { metadata: { name } } });
  await core.createNamespacedServiceAccount({ namespace: name, body: { metadata: { name: "default", namespace: name } } });
}

async function relabelPod(namespace: string, name: string, labels: Record<string, string>): Promise<void> {
  const current = await core.readNamespacedPod({ name, namespace });
  current.metadata = { ...current.metadata, labels };
  await core.replaceNamespacedPod({ name, namespace, body: current });
}

const startSource = ({ server, ...options }: Partial<KubernetesSourceOptions> & { server?: string } = {}) =>
  sut.start({ kubeConfig: api.kubeConfig(server), ...fast, ...options }, 20_000);

beforeAll(async () => {
  api = await startRealApiServer();
  core = api.kubeConfig().makeApiClient(CoreV1Api);
  apps = api.kubeConfig().makeApiClient(AppsV1Api);
}, 30 * 60_000);

afterAll(async () => {
  await api?.close();
});

afterEach(async () => {
  await sut.stop();
  await proxy?.close();
  proxy = undefined;
});

describe("KubernetesSource against a real kube-apiserver", () => {
  it("lists, then watches adds, updates and deletes of pods, deployments and nodes", async () => {
    await createNamespace("list-watch");
    await core.createNamespacedPod({ namespace: "list-watch", body: pod("list-watch", "web-1") });
    await apps.createNamespacedDeployment({
      namespace: "list-watch",
      body: {
        metadata: { name: "web", namespace: "list-watch" },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: "web" } },
          template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "main", image: "registry.invalid/web:1" }] } },
        },
      },
    });
    await core.createNode({ body: { metadata: { name: "node-a" } } });
    const s = await startSource({ kinds: "pods,deployments,nodes", namespace: "list-watch" });
    expect(events.map((e) => `${e.type} ${e.controller} ${e.key}`).sort()).toEqual([
      "added deployments list-watch/web",
      "added nodes node-a",
      "added pods list-watch/web-1",
    ]);

    await core.createNamespacedPod({ namespace: "list-watch", body: pod("list-watch", "web-2") });
    const deployment = await apps.readNamespacedDeployment({ name: "web", namespace: "list-watch" });
    deployment.spec = { ...(deployment.spec as NonNullable<typeof deployment.spec>), replicas: 3 };
    await apps.replaceNamespacedDeployment({ name: "web", namespace: "list-watch", body: deployment });
    // Not bound to a node, so the pod goes at once (no kubelet to confirm it).
    await core.deleteNamespacedPod({ name: "web-1", namespace: "list-watch" });
    await core.createNode({ body: { metadata: { name: "node-b" } } });
    await waitUntil("the live changes arrive", () => seen("added", "nodes", "node-b")() && seen("deleted", "pods", "list-watch/web-1")() && seen("updated", "deployments", "list-watch/web")(), {
      timeoutMs: 20_000,
    });

    const pods = events.filter((e) => e.controller === "pods").map((e) => `${e.type} ${e.key}`);
    // A real deletion is two writes: deletionTimestamp set (an update), then the removal.
    expect(pods).toEqual(["added list-watch/web-1", "added list-watch/web-2", "updated list-watch/web-1", "deleted list-watch/web-1"]);
    expect(s.get("deployments", "list-watch/web")).toMatchObject({ spec: { replicas: 3 } });
    expect(s.list("pods").map((p) => p.metadata.name)).toEqual(["web-2"]);
    expect(s.list("nodes").map((n) => n.metadata.name).sort()).toEqual(["node-a", "node-b"]);
    expect(s.watches().map((w) => [w.kind, w.path, w.connected, w.synced, w.restarts])).toEqual([
      ["pods", "/api/v1/namespaces/list-watch/pods", true, true, 0],
      ["deployments", "/apis/apps/v1/namespaces/list-watch/deployments", true, true, 0],
      ["nodes", "/api/v1/nodes", true, true, 0],
    ]);
  }, 60_000);

  it("re-lists after a real 410 Gone (etcd compacted while the watch was cut off)", async () => {
    await createNamespace("compaction");
    for (const name of ["stays", "changes", "vanishes"]) await core.createNamespacedPod({ namespace: "compaction", body: pod("compaction", name) });
    proxy = await startPartitionProxy(api.url);
    await startSource({ kinds: "pods", namespace: "compaction", server: proxy.url });
    const resourceVersionBefore = String((await core.listNamespacedPod({ namespace: "compaction" })).metadata?.resourceVersion);
    const listsBefore = await api.requestCount("LIST", "pods");
    events.length = 0;

    proxy.hold();
    // Changes the cut-off watch never hears about, then etcd forgets the history.
    await core.deleteNamespacedPod({ name: "vanishes", namespace: "compaction" });
    await relabelPod("compaction", "changes", { app: "changes", phase: "two" });
    await core.createNamespacedPod({ namespace: "compaction", body: pod("compaction", "appears") });
    await api.compact();
    // The server itself now answers a watch from before the compaction with 410 Gone.
    const stale = await api.get(`/api/v1/namespaces/compaction/pods?watch=1&resourceVersion=${resourceVersionBefore}&timeoutSeconds=1`);
    expect(`${stale.status} ${stale.body}`).toMatch(/"code":410|^410 /);
    proxy.release();

    await waitUntil("the re-list is reconciled", () => events.length >= 3, { timeoutMs: 30_000 });
    expect(events.map((e) => `${e.type} ${e.key}`).sort()).toEqual(["added compaction/appears", "deleted compaction/vanishes", "updated compaction/changes"]);
    // The 410 made the informer list again (the API server's own request counter says so).
    expect(await api.requestCount("LIST", "pods")).toBeGreaterThan(listsBefore);
    await core.createNamespacedPod({ namespace: "compaction", body: pod("compaction", "after") });
    await waitUntil("events flow again", seen("added", "pods", "compaction/after"), { timeoutMs: 20_000 });
    expect(health("pods").connected).toBe(true);
  }, 90_000);

  it("resumes a watch whose connection was cut, reporting what changed meanwhile and replaying nothing known", async () => {
    await core.createNode({ body: { metadata: { name: "cut-a" } } });
    await core.createNode({ body: { metadata: { name: "cut-gone" } } });
    proxy = await startPartitionProxy(api.url);
    await startSource({ kinds: "nodes", server: proxy.url });
    const connectionsBefore = proxy.connections();

    proxy.hold();
    await core.deleteNode({ name: "cut-gone" });
    await new Promise((resolve) => setTimeout(resolve, 500));
    proxy.release();
    await waitUntil("the deletion made during the cut arrives", seen("deleted", "nodes", "cut-gone"), { timeoutMs: 30_000 });
    await core.createNode({ body: { metadata: { name: "cut-b" } } });
    await waitUntil("events flow again", seen("added", "nodes", "cut-b"), { timeoutMs: 20_000 });

    expect(proxy.connections()).toBeGreaterThan(connectionsBefore);
    expect(events.filter((e) => e.key === "cut-a").map((e) => e.type)).toEqual(["added"]);
    expect(events.filter((e) => e.key === "cut-gone").map((e) => e.type)).toEqual(["added", "deleted"]);
    expect(health("nodes").connected).toBe(true);
  }, 90_000);
});

