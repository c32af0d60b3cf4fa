import { describe, expect, it } from "vitest";
import { isKubeObject, type KubeObject, ObjectStore, objectKey } from "../../../server/runtime/kubernetes/object-store";

const obj = (name: string, resourceVersion: string, namespace?: string): KubeObject => ({
  metadata: { name, resourceVersion, ...(namespace ? { namespace } : {}) },
});

describe("ObjectStore", () => {
  it("keys namespaced objects by namespace/name and cluster-scoped ones by name", () => {
    expect(objectKey(obj("web", "1", "shop"))).toBe("shop/web");
    expect(objectKey(obj("node-a", "1"))).toBe("node-a");
  });

  it("reports added, updated, and nothing for a resourceVersion it already has", () => {
    const store = new ObjectStore();
    expect(store.upsert(obj("web", "1", "shop"))).toBe("added");
    expect(store.upsert(obj("web", "1", "shop"))).toBeUndefined();
    expect(store.upsert(obj("web", "2", "shop"))).toBe("updated");
    expect(store.get("shop/web")?.metadata.resourceVersion).toBe("2");
    expect(store.size).toBe(1);
  });

  it("removes an object once, returning its last known state", () => {
    const store = new ObjectStore();
    store.upsert(obj("web", "2", "shop"));
    expect(store.remove(obj("web", "3", "shop"))?.metadata.resourceVersion).toBe("2");
    expect(store.remove(obj("web", "3", "shop"))).toBeUndefined();
  });

  it("finds what vanished from a fresh complete list", () => {
    const store = new ObjectStore();
    for (const name of ["a", "b", "c"]) store.upsert(obj(name, "1", "ns"));
    const gone = store.removeAbsent([obj("a", "1", "ns"), obj("c", "5", "ns"), obj("d", "6", "ns")]);
    expect(gone.map(objectKey)).toEqual(["ns/b"]);
    expect([...store.values()].map(objectKey)).toEqual(["ns/a", "ns/c"]);
  });

  it("recognises Kubernetes objects by a metadata.name", () => {
    expect(isKubeObject(obj("a", "1"))).toBe(true);
    expect(isKubeObject({ metadata: { name: "" } })).toBe(false);
    expect(isKubeObject({ metadata: { namespace: "x" } })).toBe(false);
    expect(isKubeObject({ kind: "Status", code: 410 })).toBe(false);
    expect(isKubeObject("pod")).toBe(false);
  });
});
