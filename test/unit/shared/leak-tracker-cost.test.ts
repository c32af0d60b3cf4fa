import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { PromiseTrackingSwitch } from "../../../components/leaks/PromiseTrackingSwitch";
import { leakTrackerCost } from "../../../shared/leak-tracker-cost";

const cost = { measuredAt: "2026-12-02T17:40:00.000Z", node: "v24.22.3", cpus: 2, ratioDefault: 0.962, ratioDeep: 0.781, agentProcessRatioDefault: 0.951, agentProcessRatioDeep: 0.803 };

function render(props: Partial<Parameters<typeof PromiseTrackingSwitch>[0]>): string {
  return renderToStaticMarkup(createElement(PromiseTrackingSwitch, { enabled: false, trackedPromises: null, onChange: () => undefined, ...props }));
}

describe("the promise-tracking switch's cost (what bench:leaks recorded)", () => {
  it("ships a well-formed record written by the benchmark", () => {
    expect(leakTrackerCost).not.toBeNull();
    for (const ratio of [leakTrackerCost!.ratioDefault, leakTrackerCost!.ratioDeep, leakTrackerCost!.agentProcessRatioDefault, leakTrackerCost!.agentProcessRatioDeep]) {
      expect(ratio).toBeGreaterThan(0);
      expect(ratio).toBeLessThan(1.5);
    }
    expect(Number.isNaN(Date.parse(leakTrackerCost!.measuredAt))).toBe(false);
  });

  it("shows the measured ratios, when and where they were measured, not a fixed figure", () => {
    const html = render({ cost });
    expect(html).toContain("0.78× speed while on, 0.96× with it off");
    expect(html).toContain("0.80× and 0.95× in a service running the agent");
    expect(html).toContain("on 2026-12-02 (2 cores, Node v24.22.3)");
    expect(render({ cost: { ...cost, ratioDeep: 0.702 } })).toContain("0.70× speed while on");
  });

  it("says so when nothing was measured", () => {
    expect(render({ cost: null })).toContain("Cost: not measured yet");
  });
});
