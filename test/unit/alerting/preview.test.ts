import { describe, expect, it } from "vitest";
import type { RuleDataSources } from "../../../server/alerting/data-sources";
import { previewRule } from "../../../server/alerting/preview";
import { parseRule } from "../../../server/alerting/rule-schema";

const MIN = 60_000;

/** A depth series: 150 between minute 10 and 20 (inclusive) and at minute 30 only, else 5. */
const sources: RuleDataSources = {
  queryInstant: async (_query, at) => {
    const minute = at / MIN;
    const high = (minute >= 10 && minute <= 20) || minute === 30;
    return [{ labels: { controller: "pods" }, value: high ? 150 : 5 }];
  },
  openAnomalyWindows: async () => [],
  leakTrends: async () => [],
  lastSampleAge: async () => 0,
};

describe("rule preview", () => {
  it("replays the rule at its interval with `for` and reports firing spans", async () => {
    const rule = parseRule({
      name: "Deep",
      kind: "threshold",
      spec: { query: { metric: "workqueue_depth" }, comparator: ">", value: 100 },
      for: "2m",
      interval: "1m",
    });
    const preview = await previewRule(rule, sources, { from: 0, to: 40 * MIN });
    expect(preview.stepMs).toBe(MIN);
    expect(preview.evaluations).toBe(41);
    // Pending from 10, firing at 12 (for 2m), resolved at 21; the blip at 30 never fires.
    expect(preview.spans).toEqual([{ fingerprint: expect.any(String), labels: { alertname: "Deep", controller: "pods" }, start: 12 * MIN, end: 21 * MIN, peakValue: 150 }]);
  });

  it("coarsens the step to stay within maxSteps and reports source errors", async () => {
    const rule = parseRule({ name: "X", kind: "threshold", spec: { query: { metric: "m" }, comparator: ">", value: 1 }, interval: "1s" });
    const failing: RuleDataSources = { ...sources, queryInstant: async () => Promise.reject(new Error("no history before start")) };
    const preview = await previewRule(rule, failing, { from: 0, to: 86_400_000, maxSteps: 100 });
    expect(preview.stepMs).toBe(864_000);
    expect(preview.spans).toEqual([]);
    expect(preview.errors[0]).toMatch(/no history before start/);
  });

  it("leaves a span open when the rule still fires at the end", async () => {
    const rule = parseRule({ name: "Y", kind: "threshold", spec: { query: { metric: "m" }, comparator: ">", value: 100 }, interval: "1m" });
    const preview = await previewRule(rule, sources, { from: 0, to: 15 * MIN });
    expect(preview.spans).toMatchObject([{ start: 10 * MIN, end: null }]);
  });
});
