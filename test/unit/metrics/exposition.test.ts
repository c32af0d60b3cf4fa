import { Counter, Gauge, Histogram, Registry, Summary } from "prom-client";
import { describe, expect, it } from "vitest";
import { renderExposition } from "../../../server/metrics/exposition";

describe("exposition renderer", () => {
  it("produces exactly prom-client's text for every metric type and special value", async () => {
    const registry = new Registry();
    const counter = new Counter({ name: "demo_total", help: 'Events with "quotes" and \\ backslash', labelNames: ["key"], registers: [registry] });
    counter.inc({ key: 'a "quoted"\nkey' }, 3);
    new Gauge({ name: "demo_gauge", help: "Gauge", registers: [registry] }).set(Number.POSITIVE_INFINITY);
    new Gauge({ name: "demo_nan", help: "NaN", registers: [registry] }).set(Number.NaN);
    const histogram = new Histogram({ name: "demo_seconds", help: "Histogram", labelNames: ["controller"], buckets: [1e-8, 0.5, 1000], registers: [registry] });
    histogram.observe({ controller: "pods" }, 0.3);
    new Summary({ name: "demo_summary", help: "Summary", percentiles: [0.5, 0.99], registers: [registry] }).observe(2);
    for (let i = 0; i < 300; i += 1) new Gauge({ name: `demo_many_${i}`, help: "Many", registers: [registry] }).set(i);
    // Large families are rendered in slices by Loopscope's own formatter: same text required.
    const big = new Counter({ name: "demo_big_total", help: "Big\nfamily", labelNames: ["controller", "key"], registers: [registry] });
    for (let i = 0; i < 2_500; i += 1) big.inc({ controller: `c${i % 7}`, key: i % 3 ? `ns/obj-${i}` : `we"ird\\${i}\n` }, i);
    const bigHistogram = new Histogram({ name: "demo_big_seconds", help: "Big histogram", labelNames: ["key"], buckets: [0.1, 1], registers: [registry] });
    for (let i = 0; i < 300; i += 1) bigHistogram.observe({ key: `k${i}` }, i % 2);
    const rendered = await renderExposition(registry);
    expect(rendered).toBe(await registry.metrics());
    expect(rendered).toContain('demo_total{key="a \\"quoted\\"\\nkey"} 3');
    expect(rendered).toContain("demo_gauge +Inf");
  });
});
