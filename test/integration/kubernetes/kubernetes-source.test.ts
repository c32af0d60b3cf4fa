import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { KubernetesSourceOptions } from "../../../server/runtime/kubernetes/kubernetes-source";
import { type ApiServerFixture, startApiServerFixture, waitUntil } from "../../support/apiserver";
import { SourceUnderTest } from "../../support/source-under-test";

/**
 * The real @kubernetes/client-node informers against a loopback API server: events
 * reach the sink once per change, and the source survives what the informer alone
 * does not (410 re-lists, dropped and failing watches, silent stalls).
 */

let fixture: ApiServerFixture;
const sut = new SourceUnderTest();
const { events, seen, health } = sut;

const pod = (namespace: string, name: string, extra: Record<string, unknown> = {}) => ({
  metadata: { name, namespace, labels: { app: name } },
  spec: { containers: [{ name: "main", image: "nginx:1.27" }] },
  status: { phase: "Running" },
  ...extra,
});

const fast: Partial<KubernetesSourceOptions> = {
  registry: false,
  resyncMs: 0,
  backoff: { initialMs: 20, maxMs: 200, jitter: 0 },
};

const startSource = (options: Partial<KubernetesSourceOptions> = {}) => sut.start({ kubeConfig: fixture.kubeConfig(), ...fast, ...options });

beforeEach(async () => {
  fixture = await startApiServerFixture();
});

afterEach(async () => {
  await sut.stop();
  await fixture.close();
});

describe("KubernetesSource against a loopback API server", () => {
  it("delivers the initial list and then adds, updates and deletes of every watched kind", async () => {
    fixture.add("pods", pod("default", "web-1"));
    fixture.add("pods", pod("shop", "cart-1"));
    fixture.add("deployments", { metadata: { name: "web", namespace: "default" }, spec: { replicas: 2 } });
    fixture.add("nodes", { metadata: { name: "node-a" } });
    const s = await startSource();

    expect(events.map((e) => `${e.type} ${e.controller} ${e.key}`).sort()).toEqual([
      "added deployments default/web",
      "added nodes node-a",
      "added pods default/web-1",
      "added pods shop/cart-1",
    ]);
    await waitUntil("all three watches are open", () => fixture.openWatches() === 3);

    fixture.add("pods", pod("default", "web-2"));
    fixture.update("deployments", { metadata: { name: "web", namespace: "default" }, spec: { replicas: 3 } });
    fixture.delete("pods", "shop/cart-1");
    fixture.add("nodes", { metadata: { name: "node-b" } });
    await waitUntil("the live changes arrive", () => events.length === 8);

    // Each kind is its own stream: order holds within a kind, not across kinds.
    const live = events.slice(4).map((e) => `${e.type} ${e.controller} ${e.key}`);
    expect(live.filter((e) => e.includes(" pods "))).toEqual(["added pods default/web-2", "deleted pods shop/cart-1"]);
    expect(live.filter((e) => !e.includes(" pods ")).sort()).toEqual(["added nodes node-b", "updated deployments default/web"]);
    expect(s.get("deployments", "default/web")).toMatchObject({ spec: { replicas: 3 } });
    expect(s.get("pods", "shop/cart-1")).toBeUndefined();
    expect(s.list("pods").map((p) => p.metadata.name).sort()).toEqual(["web-1", "web-2"]);
    expect(s.watches().map((w) => [w.kind, w.path, w.connected, w.synced, w.restarts])).toEqual([
      ["pods", "/api/v1/pods", true, true, 0],
      ["deployments", "/apis/apps/v1/deployments", true, true, 0],
      ["nodes", "/api/v1/nodes", true, true, 0],
    ]);
    expect(health("pods").objects).toBe(2);
    expect(health("pods").lastEventAt).not.toBeNull();
    // Read-only: nothing but GETs ever reached the API server.
    expect(new Set(fixture.requests.map((r) => r.method))).toEqual(new Set(["GET"]));
  });

  it("re-lists after 410 Gone: objects that vanished meanwhile are deleted, new and changed ones arrive", async () => {
    fixture.add("pods", pod("default", "stays"));
    fixture.add("pods", pod("default", "changes"));
    fixture.add("pods", pod("default", "vanishes"));
    await startSource({ kinds: "pods" });
    await waitUntil("the watch is open", () => fixture.openWatches("pods") === 1);
    const listsBefore = fixture.requests.filter((r) => r.kind === "pods" && !r.watch).length;
    events.length = 0;

    // Changes the watch never hears about, then the history is compacted.
    fixture.delete("pods", "default/vanishes", { silent: true });
    fixture.update("pods", pod("default", "changes", { status: { phase: "Succeeded" } }), { silent: true });
    fixture.add("pods", pod("default", "appears"), { silent: true });
    fixture.expireWatches();

    await waitUntil("the re-list is reconciled", () => events.length === 3);
    expect(events.map((e) => `${e.type} ${e.key}`).sort()).toEqual([
      "added default/appears",
      "deleted default/vanishes",
      "updated default/changes",
    ]);
    expect(fixture.requests.filter((r) => r.kind === "pods" && !r.watch).length).toBe(listsBefore + 1);
    await waitUntil("the watch resumes", () => fixture.openWatches("pods") === 1);
    // The informer handles 410 itself: that is not a restart.
    expect(health("pods").restarts).toBe(0);
    fixture.add("pods", pod("default", "after"));
    await waitUntil("events flow again", seen("added", "pods", "default/after"));
  });

  it("reconnects a watch whose connection is dropped, without replaying known objects", async () => {
    fixture.add("nodes", { metadata: { name: "node-a" } });
    fixture.add("nodes", { metadata: { name: "node-gone" } });
    await startSource({ kinds: "nodes" });
    await waitUntil("the watch is open", () => fixture.openWatches("nodes") === 1);
    const served = fixture.watchesServed("nodes");

    fixture.dropWatches();
    // Deleted while the connection is down: only the restart's re-list can tell.
    fixture.delete("nodes", "node-gone", { silent: true });
    await waitUntil("a new watch is served", () => fixture.watchesServed("nodes") > served && fixture.openWatches("nodes") === 1);
    fixture.add("nodes", { metadata: { name: "node-b" } });
    await waitUntil("events flow again", seen("added", "nodes", "node-b"));

    expect(events.filter((e) => e.key === "node-a").map((e) => e.type)).toEqual(["added"]);
    expect(events.filter((e) => e.key === "node-gone").map((e) => e.type)).toEqual(["added", "deleted"]);
    expect(health("nodes").restarts).toBeGreaterThanOrEqual(1);
    expect(health("nodes").lastError).toMatch(/terminated|other side closed|socket/i);
    expect(health("nodes").connected).toBe(true);
  });

  it("restarts the informer with backoff when a watch is answered 500, and shows the restarts", async () => {
    fixture.add("deployments", { metadata: { name: "api", namespace: "prod" }, spec: { replicas: 1 } });
    fixture.failNextWatch(500, { kind: "deployments", times: 3 });
    await startSource({ kinds: "deployments" });

    await waitUntil("the watch finally opens", () => fixture.openWatches("deployments") === 1 && health("deployments").connected);
    const h = health("deployments");
    expect(h.restarts).toBe(3);
    expect(h.lastError).toMatch(/500/);
    expect(h.connected).toBe(true);
    const failed = fixture.requests.filter((r) => r.kind === "deployments" && r.watch && r.status === 500);
    expect(failed).toHaveLength(3);
    // The three restarts re-listed, and found nothing new to report.
    expect(events.map((e) => `${e.type} ${e.key}`)).toEqual(["added prod/api"]);

    fixture.update("deployments", { metadata: { name: "api", namespace: "prod" }, spec: { replicas: 2 } });
    await waitUntil("events flow again", seen("updated", "deployments", "prod/api"));
  });

  it("restarts after a failed list, reporting the API server's message", async () => {
    fixture.failNextList(403, { kind: "pods" });
    await startSource({ kinds: "pods" });
    expect(health("pods").restarts).toBe(1);
    expect(health("pods").lastError).toMatch(/HTTP 403.*injected failure 403.*RBAC/);
  });

  it("detects a stalled watch and restarts it; a quiet healthy watch is not stalled", async () => {
    fixture.add("pods", pod("default", "before"));
    await startSource({ kinds: "pods", stallAfterMs: 1_000, watchTimeoutMs: 100, backoff: { initialMs: 50, maxMs: 100, jitter: 0 } });
    // Quiet but healthy: the inactivity timeout reconnects it, which proves it alive.
    await waitUntil("quiet reconnects for longer than the stall period", () => fixture.watchesServed("pods") >= 15);
    expect(health("pods").stalls).toBe(0);
    expect(health("pods").restarts).toBe(0);

    fixture.stall(2_500);
    fixture.add("pods", pod("default", "during-stall"));
    await waitUntil("the stall is detected", () => health("pods").stalls >= 1 && health("pods").restarts >= 1);
    expect(health("pods").lastError).toMatch(/stalled/);
    await waitUntil("the object added during the stall arrives", seen("added", "pods", "default/during-stall"), {
      timeoutMs: 15_000,
    });
    await waitUntil("the watch is healthy again", () => health("pods").connected && !health("pods").stalled);
  });

  it("re-emits every cached object as resync on the resync period", async () => {
    fixture.add("nodes", { metadata: { name: "node-a" } });
    fixture.add("nodes", { metadata: { name: "node-b" } });
    await startSource({ kinds: "nodes", resyncMs: 100 });
    await waitUntil("two resync rounds", () => events.filter((e) => e.type === "resync").length >= 4);
    const keys = new Set(events.filter((e) => e.type === "resync").map((e) => e.key));
    expect(keys).toEqual(new Set(["node-a", "node-b"]));
  });

  it("watches one namespace when asked, and stops cleanly", async () => {
    fixture.add("pods", pod("team-a", "a-1"));
    fixture.add("pods", pod("team-b", "b-1"));
    const s = await startSource({ kinds: "pods,nodes", namespace: "team-a" });
    expect(s.list("pods").map((p) => p.metadata.name)).toEqual(["a-1"]);
    expect(s.watches().map((w) => w.path)).toEqual(["/api/v1/namespaces/team-a/pods", "/api/v1/nodes"]);
    await waitUntil("both watches are open", () => fixture.openWatches() === 2);

    await s.stop();
    await waitUntil("the watches are closed", () => fixture.openWatches() === 0);
    const requests = fixture.requests.length;
    fixture.add("pods", pod("team-a", "a-2"));
    fixture.dropWatches();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(events.some((e) => e.key === "team-a/a-2")).toBe(false);
    expect(fixture.requests.length).toBe(requests);
    expect(s.watches()).toEqual([]);
  });
});
