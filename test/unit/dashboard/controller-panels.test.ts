import { describe, expect, it } from "vitest";
import { defaultWatchedSeries } from "../../../server/anomaly/watched-series";
import { controllerPanels } from "../../../server/dashboard/controller-panels";

describe("the adds chart and the series its band is computed on", () => {
  it("for Loopscope's own controller, says the band leaves out resyncs and plots the resync adds beside all adds", () => {
    const watched = defaultWatchedSeries(["pods"]).find((s) => s.key === 'adds_rate{controller="pods"}');
    expect(watched?.query.less?.metric).toBe("loopscope_reconcile_reasons_total");
    const adds = controllerPanels("pods").find((p) => p.id === "adds")!;
    expect(adds.seriesKey).toBe('adds_rate{controller="pods"}');
    expect(adds.title).toMatch(/resyncs left out/);
    const resync = adds.queries.find((q) => q.query.metric === watched?.query.less?.metric);
    expect(resync?.query.matchers).toEqual(expect.arrayContaining([{ name: "reason", op: "=", value: "resync" }, { name: "controller", op: "=", value: "pods" }]));
    expect(resync?.query.fn).toBe("rate");
  });

  it("for a controller of the Prometheus data source (whose band is all adds), plots all adds only", () => {
    const adds = controllerPanels("operator", { source: "prometheus", queueMatchers: [{ name: "name", op: "=", value: "operator" }], controllerMatchers: [] }).find((p) => p.id === "adds")!;
    expect(adds.title).toBe("Adds per second");
    expect(adds.queries.map((q) => q.query.metric)).toEqual(["workqueue_adds_total"]);
  });
});
