import { Counter, Gauge, Histogram, Registry, Summary } from "prom-client";
import { describe, expect, it } from "vitest";
import { gunzipSync } from "node:zlib";
import { acceptsGzip, metricsResponse, renderExposition } from "../../../server/metrics/exposition";
import { metricsRegistry } from "../../../server/metrics/registry";
import { formatGoFloat } from "../../../server/scrape/prometheus-float";

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
    // prom-client's text, with bucket bounds and quantiles in Go's spelling (1e-08, not 1e-8).
    const goSpelling = (await registry.metrics()).replace(/([{,](?:le|quantile)=")([^"]*)"/g, (_, head: string, v: string) => `${head}${v === "+Inf" ? v : formatGoFloat(Number(v))}"`);
    expect(rendered).toBe(goSpelling);
    expect(rendered).toContain('demo_seconds_bucket{le="1e-08",controller="pods"} 0');
    expect(rendered).toContain('demo_seconds_bucket{le="1000",controller="pods"} 1');
    expect(rendered).not.toContain('le="1e-8"');
    expect(rendered).toContain('demo_total{key="a \\"quoted\\"\\nkey"} 3');
    expect(rendered).toContain("demo_gauge +Inf");
  });

  it("streams /metrics as the same text as prom-client, with its content type", async () => {
    const registry = metricsRegistry();
    const big = new Gauge({ name: "exposition_stream_test", help: "Streamed", labelNames: ["key"], registers: [registry] });
    for (let i = 0; i < 3_000; i += 1) big.set({ key: `k${i}` }, i);
    try {
      const response = await metricsResponse();
      expect(response.headers.get("content-type")).toBe(registry.contentType);
      const text = await response.text();
      expect(text).toContain('exposition_stream_test{key="k2999"} 2999');
      // Process metrics move between two renders; the families and the test family's text must match.
      const family = (t: string) => t.split("\n\n").find((block) => block.startsWith("# HELP exposition_stream_test "));
      expect(family(text)).toBe(family(await registry.metrics()));
      for (const metric of registry.getMetricsAsArray()) expect(text).toContain(`# TYPE ${metric.name} `);
      expect(text.endsWith("\n")).toBe(true);
    } finally {
      registry.removeSingleMetric("exposition_stream_test");
    }
  });

  it("writes le and quantile as client_golang does, so a sum by (le) across Go and Loopscope does not split a bucket", async () => {
    const registry = new Registry();
    new Histogram({ name: "spelling_seconds", help: "h", buckets: [1e-8, 1e-6, 0.00001, 0.0001, 0.5, 100_000, 1e6], registers: [registry] }).observe(1);
    new Summary({ name: "spelling_summary", help: "s", percentiles: [0.5, 0.999], registers: [registry] }).observe(1);
    const text = await renderExposition(registry);
    const les = [...text.matchAll(/[{,]le="([^"]*)"/g)].map((m) => m[1]);
    // strconv.FormatFloat(v, 'g', -1, 64) of each bound, as client_golang writes it.
    expect(les).toEqual(["1e-08", "1e-06", "1e-05", "0.0001", "0.5", "100000", "1e+06", "+Inf"]);
    expect(text).toContain('spelling_summary{quantile="0.999"} 1');
  });

  it("gzips /metrics when the scraper asks for it", async () => {
    const plain = await metricsResponse(new Request("http://x/metrics"));
    expect(plain.headers.get("content-encoding")).toBeNull();
    const zipped = await metricsResponse(new Request("http://x/metrics", { headers: { "accept-encoding": "gzip" } }));
    expect(zipped.headers.get("content-encoding")).toBe("gzip");
    const text = gunzipSync(Buffer.from(await zipped.arrayBuffer())).toString("utf8");
    expect(text).toContain("# TYPE process_cpu_user_seconds_total counter");
    expect(acceptsGzip("gzip;q=0, identity")).toBe(false);
    expect(acceptsGzip("deflate, gzip;q=0.5")).toBe(true);
  });
});
