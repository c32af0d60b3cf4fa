import { describe, expect, it } from "vitest";
import { controllerKey, discoverControllers } from "../../../server/prometheus/controller-discovery";

const identityLabels = ["job", "namespace"];

describe("controller discovery from Prometheus series", () => {
  it("finds controller-runtime controllers and client-go queues, one per name and identity, listing their pods", () => {
    const found = discoverControllers(
      [
        { __name__: "controller_runtime_reconcile_total", controller: "alpha", result: "success", job: "op", namespace: "ns", pod: "op-1" },
        { __name__: "controller_runtime_reconcile_total", controller: "alpha", result: "error", job: "op", namespace: "ns", pod: "op-2" },
        { __name__: "workqueue_depth", name: "alpha", controller: "alpha", job: "op", namespace: "ns", pod: "op-1" },
        { __name__: "workqueue_depth", name: "garbagecollector", job: "kcm", instance: "10.0.0.1:10257" },
        { __name__: "workqueue_depth", name: "", job: "kcm" },
      ],
      { identityLabels },
    );
    expect(found.map((c) => c.name)).toEqual(["alpha", "garbagecollector"]);
    const alpha = found[0];
    expect(alpha.pods).toEqual(["op-1", "op-2"]);
    expect(alpha.identity).toEqual({ job: "op", namespace: "ns" });
    expect(alpha.queueMatchers).toEqual([
      { name: "name", op: "=", value: "alpha" },
      { name: "job", op: "=", value: "op" },
      { name: "namespace", op: "=", value: "ns" },
    ]);
    expect(alpha.controllerMatchers[0]).toEqual({ name: "controller", op: "=", value: "alpha" });
    // A series without the label is selected by `label=""`, as in PromQL.
    expect(found[1].queueMatchers).toContainEqual({ name: "namespace", op: "=", value: "" });
    expect(found[1].pods).toEqual(["10.0.0.1:10257"]);
  });

  it("qualifies names that are not unique, or that Loopscope's own controllers use", () => {
    const found = discoverControllers(
      [
        { __name__: "workqueue_depth", name: "configmap", job: "op-a", namespace: "a" },
        { __name__: "workqueue_depth", name: "configmap", job: "op-b", namespace: "b" },
        { __name__: "workqueue_depth", name: "pods", job: "op-a", namespace: "a" },
        { __name__: "workqueue_depth", name: "solo", job: "op-a", namespace: "a" },
      ],
      { identityLabels, reserved: new Set(["pods"]) },
    );
    expect(found.map((c) => c.name)).toEqual(["configmap (op-a, a)", "configmap (op-b, b)", "pods (op-a, a)", "solo"]);
    expect(new Set(found.map((c) => c.name)).size).toBe(found.length);
  });

  it("ties aggregated series back to their controller by the identity labels", () => {
    const [c] = discoverControllers([{ __name__: "workqueue_depth", name: "alpha", job: "op" }], { identityLabels });
    // `sum by (job, namespace, name)` drops the empty namespace: the key still matches.
    expect(controllerKey("alpha", { job: "op", name: "alpha" }, identityLabels)).toBe(controllerKey(c.controller, c.identity, identityLabels));
    expect(controllerKey("alpha", { job: "other", name: "alpha" }, identityLabels)).not.toBe(controllerKey(c.controller, c.identity, identityLabels));
  });

  it("ignores the controller's own labels as identity labels, and caps the list", () => {
    const series = Array.from({ length: 30 }, (_, i) => ({ __name__: "workqueue_depth", name: `c${String(i).padStart(2, "0")}`, job: "op" }));
    const found = discoverControllers(series, { identityLabels: ["job", "name", "controller"], limit: 10 });
    expect(found).toHaveLength(10);
    expect(found[0].queueMatchers.map((m) => m.name)).toEqual(["name", "job"]);
  });
});
