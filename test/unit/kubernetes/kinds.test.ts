import { describe, expect, it } from "vitest";
import { collectionPath, parseWatchKinds, UnknownKindError, watchedKind } from "../../../server/runtime/kubernetes/kinds";

describe("watched kinds", () => {
  it("defaults to pods, deployments and nodes", () => {
    expect(parseWatchKinds().map((k) => k.name)).toEqual(["pods", "deployments", "nodes"]);
  });

  it("accepts plural, singular and kubectl short names, ignoring case, blanks and duplicates", () => {
    expect(parseWatchKinds(" Pods, deploy ,no,,pod,STS").map((k) => k.name)).toEqual(["pods", "deployments", "nodes", "statefulsets"]);
  });

  it("names the unknown kind and lists the known ones", () => {
    expect(() => parseWatchKinds("pods,widgets")).toThrow(UnknownKindError);
    expect(() => parseWatchKinds("pods,widgets")).toThrow(/Unknown kind "widgets" to watch; use a comma list of: pods, deployments, nodes/);
    expect(() => parseWatchKinds(" , ")).toThrow(UnknownKindError);
  });

  it("builds the list/watch path of each kind, across namespaces or in one", () => {
    expect(collectionPath(watchedKind("pods"))).toBe("/api/v1/pods");
    expect(collectionPath(watchedKind("pods"), "shop")).toBe("/api/v1/namespaces/shop/pods");
    expect(collectionPath(watchedKind("deployments"))).toBe("/apis/apps/v1/deployments");
    expect(collectionPath(watchedKind("deployments"), "shop")).toBe("/apis/apps/v1/namespaces/shop/deployments");
    expect(collectionPath(watchedKind("nodes"), "shop")).toBe("/api/v1/nodes");
    expect(collectionPath(watchedKind("jobs"))).toBe("/apis/batch/v1/jobs");
  });
});
