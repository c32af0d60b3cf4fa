import { describe, expect, it } from "vitest";
import { anomalyEvaluationInterval } from "../../../server/anomaly/evaluation-interval";

describe("anomalyEvaluationInterval", () => {
  it("evaluates once per scrape of the store, between every 5 s and every 10 s", () => {
    // At the default 5 s scrape a new point waits 2.5 s on average for its pass, not 5 s.
    expect(anomalyEvaluationInterval(5_000)).toBe(5_000);
    expect(anomalyEvaluationInterval(7_000)).toBe(7_000);
    expect(anomalyEvaluationInterval(1_000)).toBe(5_000);
    expect(anomalyEvaluationInterval(60_000)).toBe(10_000);
  });
});
