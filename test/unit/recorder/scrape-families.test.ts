import { describe, expect, it } from "vitest";
import { scrapedSamples } from "../../../server/recorder/scrape-families";
import { seriesHash, targetIdOf } from "../../../server/recorder/sample";

describe("scraped families", () => {
  it("keeps names and labels, uses exporter timestamps when given, normalises le/quantile", () => {
    const samples = scrapedSamples(
      [
        {
          name: "workqueue_work_duration_seconds",
          type: "histogram",
          help: "How long",
          samples: [
            { name: "workqueue_work_duration_seconds_bucket", labels: { name: "pods", le: "1.0" }, value: 4 },
            { name: "workqueue_work_duration_seconds_bucket", labels: { name: "pods", le: "+Inf" }, value: 5 },
            { name: "workqueue_work_duration_seconds_count", labels: { name: "pods" }, value: 5, timestampMs: 1_234 },
          ],
        },
        { name: "rpc", type: "unknown", help: "", samples: [{ name: "rpc", labels: { quantile: "0.50" }, value: Number.NaN }] },
      ],
      9_999,
    );
    expect(samples.map((s) => [s.metric, s.labels, s.ts, s.type])).toEqual([
      ["workqueue_work_duration_seconds_bucket", { name: "pods", le: "1" }, 9_999, "histogram"],
      ["workqueue_work_duration_seconds_bucket", { name: "pods", le: "+Inf" }, 9_999, "histogram"],
      ["workqueue_work_duration_seconds_count", { name: "pods" }, 1_234, "histogram"],
      ["rpc", { quantile: "0.5" }, 9_999, "untyped"],
    ]);
    expect(samples[3].value).toBeNaN();
  });

  it("identifies a series by source, name and labels in any order", () => {
    expect(seriesHash("self", "m", { a: "1", b: "2" })).toBe(seriesHash("self", "m", { b: "2", a: "1" }));
    expect(seriesHash("self", "m", { a: "1" })).not.toBe(seriesHash("target:1", "m", { a: "1" }));
    expect(seriesHash("self", "m", { a: "1b" })).not.toBe(seriesHash("self", "m", { a1: "b" }));
    expect(seriesHash("self", "m", {})).toMatch(/^[0-9a-f]{64}$/);
    expect(targetIdOf("target:42")).toBe(42);
    expect(targetIdOf("self")).toBeNull();
  });
});
