import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KubernetesSource } from "../../../server/runtime/kubernetes/kubernetes-source";
import type { KubeObject } from "../../../server/runtime/kubernetes/object-store";
import type { ObjectEvent } from "../../../server/runtime/source";
import { type ApiServerFixture, type FixtureKind, startApiServerFixture, waitUntil } from "../../support/apiserver";
import { seededRandom } from "../../../server/anomaly/synthetic";

/**
 * Proof (issue 8): the API server keeps dropping watches and answering 410 Gone while
 * objects change (some changes never reach any watch, as after a compaction). Whatever
 * the sequence, every informer ends with the latest state of every object: its cache
 * and the events the controllers saw both agree with the API server, object for object
 * and resourceVersion for resourceVersion.
 */

const KINDS: FixtureKind[] = ["pods", "deployments", "nodes"];

function objectFor(kind: FixtureKind, name: string, generation: number) {
  if (kind === "nodes") return { metadata: { name }, status: { conditions: [{ type: "Ready", status: generation % 3 === 0 ? "False" : "True" }] } };
  if (kind === "deployments") return { metadata: { name, namespace: "shop" }, spec: { replicas: 1 + (generation % 4) }, status: { readyReplicas: generation % 4 } };
  return { metadata: { name, namespace: generation % 2 === 0 ? "default" : "shop" }, status: { phase: generation % 5 === 0 ? "Pending" : "Running" } };
}

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

describe("proof: watches dropped and expired (410) over and over", () => {
  it("ends with the API server's latest state of every object, in the cache and in the events", async () => {
    const random = seededRandom(8);
    const names = new Map<FixtureKind, string[]>(KINDS.map((k) => [k, []]));
    let generation = 0;
    const keyOf = (kind: FixtureKind, name: string) => (kind === "nodes" ? name : `${(fixture.get(kind, `default/${name}`) ?? fixture.get(kind, `shop/${name}`))?.metadata.namespace}/${name}`);

    for (const kind of KINDS) {
      for (let i = 0; i < 6; i += 1) {
        const name = `${kind}-${i}`;
        fixture.add(kind, objectFor(kind, name, generation++));
        names.get(kind)?.push(name);
      }
    }

    // What the controllers learn: the last event per kind/key.
    const lastEvent = new Map<string, ObjectEvent>();
    let eventCount = 0;
    source = new KubernetesSource({ kubeConfig: fixture.kubeConfig(), kinds: KINDS.join(","), registry: false, resyncMs: 0, backoff: { initialMs: 10, maxMs: 100, jitter: 0 } });
    await source.start((event) => {
      eventCount += 1;
      lastEvent.set(`${event.controller}|${event.key}`, event);
    });
    await source.waitForSync(AbortSignal.timeout(10_000));

    /** One random change: add, update or delete, told to the watches or not (silent). */
    const mutate = () => {
      const kind = KINDS[Math.floor(random() * KINDS.length)];
      const list = names.get(kind) ?? [];
      const silent = random() < 0.3;
      const roll = random();
      if (roll < 0.25 || list.length < 2) {
        const name = `${kind}-${generation}`;
        fixture.add(kind, objectFor(kind, name, generation++), { silent });
        list.push(name);
      } else if (roll < 0.45) {
        const [name] = list.splice(Math.floor(random() * list.length), 1);
        fixture.delete(kind, keyOf(kind, name), { silent });
      } else {
        const name = list[Math.floor(random() * list.length)];
        const existing = fixture.get(kind, keyOf(kind, name));
        const next = objectFor(kind, name, generation++);
        // Updates keep the object's namespace (moving namespaces would be a delete and an add).
        fixture.update(kind, { ...next, metadata: { ...next.metadata, namespace: existing?.metadata.namespace } }, { silent });
      }
    };

    const disruptions = { expired: 0, dropped: 0, refused410: 0, closed: 0, failedLists: 0 };
    for (let round = 0; round < 40; round += 1) {
      const changes = 1 + Math.floor(random() * 6);
      for (let i = 0; i < changes; i += 1) mutate();
      const roll = random();
      if (roll < 0.35) {
        fixture.expireWatches();
        disruptions.expired += 1;
      } else if (roll < 0.6) {
        fixture.dropWatches();
        disruptions.dropped += 1;
      } else if (roll < 0.8) {
        // The reconnecting watch itself is answered 410 (its resourceVersion is too old).
        fixture.failNextWatch(410, { times: 1 + Math.floor(random() * 3) });
        fixture.expireWatches();
        disruptions.refused410 += 1;
      } else if (roll < 0.92) {
        fixture.closeWatches();
        disruptions.closed += 1;
      } else {
        fixture.failNextList(500);
        fixture.dropWatches();
        disruptions.failedLists += 1;
      }
      // Changes keep coming while the watches reconnect.
      for (let i = 0; i < 2; i += 1) mutate();
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.floor(random() * 40)));
    }
    // A last change every watch must see once it is back.
    for (const kind of KINDS) {
      const name = `${kind}-final`;
      fixture.add(kind, objectFor(kind, name, generation++));
      names.get(kind)?.push(name);
    }

    const versions = (objects: readonly { metadata: { namespace?: string; name: string; resourceVersion?: string } }[]) =>
      Object.fromEntries(objects.map((o) => [o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name, o.metadata.resourceVersion]));
    const cacheMatches = () => KINDS.every((kind) => JSON.stringify(sorted(versions(source?.list(kind) ?? []))) === JSON.stringify(sorted(versions(fixture.list(kind)))));
    await waitUntil("every informer's cache matches the API server", cacheMatches, { timeoutMs: 20_000 });

    for (const kind of KINDS) {
      const expected = sorted(versions(fixture.list(kind)));
      expect(sorted(versions(source.list(kind) as KubeObject[]))).toEqual(expected);
      // The events tell the same story: the last event of every live object carries its latest version...
      const fromEvents: Record<string, string | undefined> = {};
      for (const [id, event] of lastEvent) {
        const [controller, key] = id.split("|");
        if (controller !== kind || event.type === "deleted") continue;
        fromEvents[key] = (event.object as KubeObject | undefined)?.metadata.resourceVersion;
      }
      // ...and every object that is gone ended with a delete.
      expect(sorted(fromEvents)).toEqual(expected);
    }

    expect(disruptions.expired + disruptions.refused410).toBeGreaterThan(10);
    expect(disruptions.dropped).toBeGreaterThan(3);
    expect(fixture.requests.filter((r) => r.watch && r.status === 410).length).toBeGreaterThan(0);
    expect(eventCount).toBeGreaterThan(18);
    // Every watch is streaming again in the end (a liveness bound, not a timing assertion).
    await waitUntil("every watch is connected", () => source?.watches().every((w) => w.connected), { timeoutMs: 10_000 });
    expect(source.watches().reduce((sum, w) => sum + w.restarts, 0)).toBeGreaterThan(0);
  });
});

function sorted(record: Record<string, string | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
