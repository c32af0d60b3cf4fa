/**
 * `query_via_prometheus_ms` (issue 18): the controller page's charts of a controller whose series
 * are in a Prometheus holding 7 days, built by Loopscope from that Prometheus (PromQL
 * translation, query_range, zod-validated parsing, downsampling, packing), against querying
 * that Prometheus directly with the very same requests (fetch + JSON.parse, all at once as the
 * page asks them). Target: within 1.5× of direct.
 *
 *   node --import tsx bench/scale-prometheus.ts      (BENCH_PROM_INTERVAL=60s, BENCH_RUNS=15)
 *
 * `run()` returns the figures (for bench:scale to include); run directly, the last line of
 * output is one JSON object.
 */
import { parseDuration } from "../shared/duration";
import { buildControllerCharts } from "../server/dashboard/controller-view";
import type { DashboardSources } from "../server/dashboard/sources";
import { PrometheusDataSource } from "../server/prometheus/data-source";
import { PrometheusHttp, type PrometheusTransport } from "../server/prometheus/http-client";
import type { PrometheusSettings } from "../server/prometheus/settings";
import { routedRange } from "../server/query/routed-query";
import { controllerHistory, defaultModel } from "../test/support/controller-exporter";
import { startPrometheusWithSamples } from "../test/support/prometheus";
import { printWhenMain } from "./support/main-module";
import { median } from "./support/stats";

const DAY = 86_400_000;
const TARGET_RATIO = 1.5;

export interface ScalePrometheusFigures {
  query_via_prometheus_ms: number;
  direct_prometheus_ms: number;
  query_via_prometheus_ratio: number;
  query_via_prometheus_target_ratio: number;
  query_via_prometheus_within_target: boolean;
  prometheus_days: number;
  prometheus_scrape_interval_s: number;
  prometheus_samples: number;
  page_requests: number;
  page_width: number;
  runs: number;
}

/** Records the requests Loopscope sends, so the direct baseline replays exactly them. */
class RecordingTransport implements PrometheusTransport {
  recorded: { method: "GET" | "POST"; path: string; params: URLSearchParams }[] = [];
  recording = false;
  constructor(private readonly inner: PrometheusTransport) {}
  send(method: "GET" | "POST", path: string, params: URLSearchParams, signal?: AbortSignal) {
    if (this.recording) this.recorded.push({ method, path, params: new URLSearchParams(params) });
    return this.inner.send(method, path, params, signal);
  }
  close() {
    return this.inner.close();
  }
}

export async function run(options: { intervalMs?: number; runs?: number; log?: (line: string) => void } = {}): Promise<ScalePrometheusFigures> {
  const say = options.log ?? ((line: string) => console.log(line));
  const intervalMs = options.intervalMs ?? parseDuration(process.env.BENCH_PROM_INTERVAL ?? "60s") ?? 60_000;
  const runs = options.runs ?? Number(process.env.BENCH_RUNS ?? 15);
  const end = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
  const start = end - 7 * DAY;
  const names = ["alpha", "beta"];
  const t0 = Date.now();
  // Queue depth and load follow a daily wave, with an error storm on beta for an hour a day.
  const text = controllerHistory(names, start, end, intervalMs, { job: "operator", instance: "10.0.0.7:8080", namespace: "team-a", pod: "operator-0" }, (name, t) => {
    const wave = Math.sin((2 * Math.PI * t) / DAY);
    const storm = name === "beta" && Math.floor(t / 3_600_000) % 24 === 13;
    return defaultModel({ depth: Math.round(6 + 4 * wave), reconcilesPerSecond: 3 + wave, errorsPerSecond: storm ? 2 : 0.01, reconcileSeconds: name === "alpha" ? 0.05 : 0.5 });
  });
  const samples = text.split("\n").filter((l) => l !== "" && !l.startsWith("#")).length;
  say(`history: ${samples.toLocaleString("en")} samples (${names.length} controllers, 7 days every ${intervalMs / 1000} s) generated in ${Date.now() - t0} ms`);
  const t1 = Date.now();
  const prometheus = await startPrometheusWithSamples(text);
  say(`prometheus: blocks created and serving in ${Date.now() - t1} ms at ${prometheus.url}`);
  const settings: PrometheusSettings = {
    baseUrl: prometheus.url,
    auth: { kind: "none" },
    headers: {},
    timeoutMs: 60_000,
    maxResponseBytes: 256 * 1024 * 1024,
    scrapeIntervalMs: intervalMs,
    identityLabels: ["job", "namespace"],
    discoveryIntervalMs: 3_600_000,
  };
  const transport = new RecordingTransport(new PrometheusHttp(settings));
  const source = new PrometheusDataSource({ settings, transport, now: () => end });
  const sources: DashboardSources = { query: routedRange(undefined, source), prometheus: source };
  const width = 1_000;
  try {
    const found = await source.controllers();
    if (!found.some((c) => c.name === "beta")) throw new Error(`beta not discovered (found ${found.map((c) => c.name).join(", ")})`);
    // Each run asks a range 1 s later than the one before: no answer is reused from the page's cache.
    let shift = 0;
    const page = async () => {
      shift += 1_000;
      const charts = await buildControllerCharts(sources, { name: "beta", from: start + shift, to: end - 3_600_000 + shift, width }, end);
      const failed = charts.panels.find((p) => p.error);
      if (failed) throw new Error(`panel ${failed.id}: ${failed.error}`);
      if (charts.panels.every((p) => p.series.length === 0)) throw new Error("the page has no data");
      return charts;
    };
    transport.recording = true;
    await page();
    transport.recording = false;
    const requests = transport.recorded;
    const direct = async () => {
      await Promise.all(
        requests.map(async (r) => {
          const response = await fetch(`${prometheus.url}${r.path}`, { method: "POST", body: r.params, headers: { "content-type": "application/x-www-form-urlencoded" } });
          const body = (await response.json()) as { status: string };
          if (body.status !== "success") throw new Error(`direct ${r.path}: ${JSON.stringify(body).slice(0, 200)}`);
        }),
      );
    };
    for (let i = 0; i < 3; i += 1) {
      await page();
      await direct();
    }
    const mine: number[] = [];
    const theirs: number[] = [];
    for (let i = 0; i < runs; i += 1) {
      // Interleaved, so both see the same machine load.
      let t = performance.now();
      await page();
      mine.push(performance.now() - t);
      t = performance.now();
      await direct();
      theirs.push(performance.now() - t);
    }
    const viaMs = median(mine);
    const directMs = median(theirs);
    const ratio = viaMs / directMs;
    say(`controller page via Loopscope: p50 ${viaMs.toFixed(1)} ms (${runs} runs, ${requests.length} query_range requests, ${width} px)`);
    say(`the same requests straight to Prometheus: p50 ${directMs.toFixed(1)} ms`);
    say(`ratio ${ratio.toFixed(2)} (target ≤ ${TARGET_RATIO})`);
    return {
      query_via_prometheus_ms: Number(viaMs.toFixed(1)),
      direct_prometheus_ms: Number(directMs.toFixed(1)),
      query_via_prometheus_ratio: Number(ratio.toFixed(3)),
      query_via_prometheus_target_ratio: TARGET_RATIO,
      query_via_prometheus_within_target: ratio <= TARGET_RATIO,
      prometheus_days: 7,
      prometheus_scrape_interval_s: intervalMs / 1000,
      prometheus_samples: samples,
      page_requests: requests.length,
      page_width: width,
      runs,
    };
  } finally {
    await source.stop();
    await prometheus.stop();
  }
}

printWhenMain(import.meta.url, () => run());
