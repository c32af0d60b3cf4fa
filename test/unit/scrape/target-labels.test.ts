import { describe, expect, it } from "vitest";
import { attachTargetLabels, targetLabels, withTargetLabels } from "../../../server/scrape/target-labels";

const target = targetLabels({ name: "orders", url: "http://10.0.0.5:8080/metrics", labels: { team: "payments" } });

describe("target labels on scraped series (Prometheus's mutateSampleLabels)", () => {
  it("attaches job, instance and the target's labels to every scraped series", () => {
    const [family] = withTargetLabels([{ name: "go_goroutines", type: "gauge", help: "", samples: [{ name: "go_goroutines", labels: {}, value: 34 }] }], target, false);
    expect(family.samples[0].labels).toEqual({ instance: "10.0.0.5:8080", job: "orders", team: "payments" });
    expect(Object.keys(family.samples[0].labels)).toEqual(["instance", "job", "team"]);
  });

  it("keeps a clashing exposed label as exported_<name>, the target's value winning", () => {
    expect(attachTargetLabels({ job: "kube-state-metrics", instance: "pod-1", code: "200" }, target, false)).toEqual({
      code: "200",
      exported_instance: "pod-1",
      exported_job: "kube-state-metrics",
      instance: "10.0.0.5:8080",
      job: "orders",
      team: "payments",
    });
    // exported_job is itself taken: prefixed again, as Prometheus does.
    expect(attachTargetLabels({ job: "a", exported_job: "b" }, target, false)).toMatchObject({ job: "orders", exported_job: "b", exported_exported_job: "a" });
    // An empty exposed value is no clash.
    expect(attachTargetLabels({ job: "" }, target, false)).not.toHaveProperty("exported_job");
  });

  it("with honor_labels keeps the exposed value and only fills in missing target labels", () => {
    expect(attachTargetLabels({ job: "federated", team: "" }, target, true)).toEqual({ instance: "10.0.0.5:8080", job: "federated", team: "payments" });
  });

  it("takes the job from the target's own job label", () => {
    expect(targetLabels({ name: "orders-operator", url: "http://h:1/metrics", labels: { job: "orders" } }).job).toBe("orders");
  });
});
