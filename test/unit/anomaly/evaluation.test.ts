import { describe, expect, it } from "vitest";
import { evaluateDetection } from "../../../server/anomaly/evaluation";

describe("evaluateDetection", () => {
  const fault = { id: "f1", kind: "burst", seriesKeys: ["a", "b"], start: 100_000, end: 200_000 };

  it("counts matching windows, detected faults and time to detect", () => {
    const q = evaluateDetection(
      [
        { seriesKey: "b", start: 110_000, end: 190_000, detectedAt: 120_000 },
        { seriesKey: "a", start: 300_000, end: 350_000, detectedAt: 310_000 }, // within the 120 s grace
        { seriesKey: "a", start: 400_000, end: 410_000, detectedAt: 405_000 }, // false
        { seriesKey: "c", start: 110_000, end: 190_000, detectedAt: 115_000 }, // other series: false
      ],
      [fault, { id: "f2", kind: "leak", seriesKeys: ["a"], start: 1_000_000, end: 1_100_000 }],
    );
    expect(q.precision).toBe(0.5);
    expect(q.recall).toBe(0.5);
    expect(q.faults[0]).toMatchObject({ detected: true, timeToDetectS: 20 });
    expect(q.faults[1]).toMatchObject({ detected: false, timeToDetectS: null });
    expect(q.medianTimeToDetectS).toBe(20);
  });

  it("is perfect on nothing", () => {
    expect(evaluateDetection([], [])).toMatchObject({ precision: 1, recall: 1, medianTimeToDetectS: null });
  });
});
