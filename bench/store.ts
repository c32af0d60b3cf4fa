/**
 * Time-series store benchmark (issue 4): ingest through the recorder's write path vs a
 * raw COPY into the same table, range-query latencies over a week of data, /metrics
 * exposition of 10,000 series, and bytes per sample on disk.
 *
 *   node --import tsx bench/store.ts
 *
 * Uses DATABASE_URL's server if set, else an embedded Postgres under .data/bench
 * (port 54349); either way in a fresh database that is dropped at the end. The last
 * line is one JSON object with the figures.
 */
import os from "node:os";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { log } from "../server/log";
import { expositionChunks } from "../server/metrics/exposition";
import { QueryService } from "../server/query/query-service";
import { PgSampleSource } from "../server/query/pg-sample-source";
import { type RangeQuery, type RangeQueryInput, type RangeResult, rangeQuerySchema, runRangeQuery } from "../server/query/range-query";
import { Recorder } from "../server/recorder/recorder";
import { describeSeries, type RecordedSample } from "../server/recorder/sample";
import { databaseSize } from "../server/store/retention";
import { rebuildRollup } from "../server/store/rollup";
import type { DuplicateStrategy } from "../server/store/sample-writer";
import { SeriesStore } from "../server/store/series-store";
import { createTimeseriesPool, QUERY_SESSION_SETTINGS } from "../server/store/timeseries-pool";
import { freshDatabase } from "./support/fresh-database";
import { median } from "./support/stats";

const quiet = log.child({ component: "bench" }, { level: "warn" });
const WEEK_MS = 7 * 86_400_000;

const fmt = (n: number, digits = 1) => n.toLocaleString("en-US", { maximumFractionDigits: digits });

function benchDatabase() {
  return freshDatabase({ folder: "bench", port: 54349, prefix: "loopscope_bench", log: quiet });
}

/** Raw COPY baseline: pre-formatted rows streamed straight into `samples`. */
async function rawCopy(pool: pg.Pool, ids: number[], t0: number, ticks: number): Promise<number> {
  const lines: string[] = [];
  for (let k = 0; k < ticks; k += 1) {
    const ts = new Date(t0 + k * 1_000).toISOString();
    let chunk = "";
    for (const id of ids) chunk += `${id}\t${ts}\t${k * 1.5}\n`;
    lines.push(chunk);
  }
  const client = await pool.connect();
  try {
    const started = performance.now();
    await client.query("BEGIN");
    await pipeline(Readable.from(lines), client.query(copyFrom("COPY samples (series_id, ts, value) FROM STDIN")));
    await client.query("COMMIT");
    return performance.now() - started;
  } finally {
    client.release();
  }
}

/** The recorder's write path, end to end: samples handed to record() until committed. */
async function recorderIngest(pool: pg.Pool, seriesCount: number, t0: number, ticks: number, strategy: DuplicateStrategy): Promise<{ ms: number; writeOnlyMs: number }> {
  const recorder = new Recorder({ pool, metricsRegistry: new Registry(), bufferCapacity: seriesCount * ticks + 1_000, duplicateStrategy: strategy, log: quiet });
  const perTick: RecordedSample[][] = [];
  for (let k = 0; k < ticks; k += 1) {
    const ts = t0 + k * 1_000;
    perTick.push(Array.from({ length: seriesCount }, (_, s) => ({ metric: "bench_ingest", labels: { s: String(s) }, value: k * 1.5, ts, type: "gauge", help: "" })));
  }
  const started = performance.now();
  for (const samples of perTick) recorder.record("bench", samples);
  const enqueued = performance.now();
  const ok = await recorder.flush();
  if (!ok) throw new Error(`recorder flush failed: ${recorder.status().lastError}`);
  const done = performance.now();
  return { ms: done - started, writeOnlyMs: done - enqueued };
}

async function ingestBench(pool: pg.Pool) {
  const seriesCount = 1_000;
  const ticks = 300; // 300,000 samples per run
  const total = seriesCount * ticks;
  // The series rows exist before the timed runs (steady state); each run's recorder
  // still resolves their ids once (one INSERT … ON CONFLICT + SELECT).
  const store = new SeriesStore(pool);
  await store.resolve(Array.from({ length: seriesCount }, (_, s) => describeSeries("bench", { metric: "bench_ingest", labels: { s: String(s) }, type: "gauge", help: "" })));
  const copyIds = Array.from({ length: seriesCount }, (_, s) => 1_000_000 + s);
  const copyMs: number[] = [];
  const recorderMs: number[] = [];
  const writeOnlyMs: number[] = [];
  const stagedMs: number[] = [];
  let t0 = Date.UTC(2030, 0, 1);
  for (let round = 0; round < 3; round += 1) {
    copyMs.push(await rawCopy(pool, copyIds, t0, ticks));
    t0 += ticks * 1_000;
    const r = await recorderIngest(pool, seriesCount, t0, ticks, "optimistic");
    recorderMs.push(r.ms);
    writeOnlyMs.push(r.writeOnlyMs);
    t0 += ticks * 1_000;
    stagedMs.push((await recorderIngest(pool, seriesCount, t0, ticks, "staged")).ms);
    t0 += ticks * 1_000;
  }
  const rate = (ms: number[]) => total / (median(ms) / 1_000);
  return { total, copy: rate(copyMs), recorder: rate(recorderMs), writeOnly: rate(writeOnlyMs), staged: rate(stagedMs) };
}

/** A week of data: one gauge at 10 s, one at 1 s, and a 12-bucket histogram at 10 s, written in time order. */
async function loadWeek(pool: pg.Pool, end: number) {
  const store = new SeriesStore(pool);
  const gauge10 = describeSeries("self", { metric: "bench_gauge_10s", labels: {}, type: "gauge", help: "" });
  const gauge1 = describeSeries("self", { metric: "bench_gauge_1s", labels: {}, type: "gauge", help: "" });
  const bounds = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.15", "0.2", "0.3", "0.6", "1", "2", "+Inf"];
  const buckets = bounds.map((le) => describeSeries("self", { metric: "bench_latency_seconds_bucket", labels: { le, name: "bench" }, type: "histogram", help: "" }));
  const ids = await store.resolve([gauge10, gauge1, ...buckets]);
  const id10 = ids.get(gauge10.hash)!;
  const id1 = ids.get(gauge1.hash)!;
  const bucketIds = buckets.map((b) => ids.get(b.hash)!);
  const start = end - WEEK_MS;
  const spikes10 = new Set([1_000, 30_000, 60_000]); // sample indexes with a one-sample spike
  const spikes1 = new Set([12_345, 300_000, 604_000]);
  const counts = new Array(bounds.length).fill(0);
  const client = await pool.connect();
  let rows = 0;
  try {
    async function* lines() {
      let chunk = "";
      for (let i = 0; i < WEEK_MS / 1_000; i += 1) {
        const t = start + (i + 1) * 1_000;
        const ts = new Date(t).toISOString();
        const noise = ((i * 7919) % 101) / 101;
        chunk += `${id1}\t${ts}\t${spikes1.has(i) ? (i % 2 ? -900 : 900) : 50 + 10 * Math.sin(i / 3_000) + noise}\n`;
        rows += 1;
        if (i % 10 === 9) {
          const k = (i + 1) / 10 - 1;
          chunk += `${id10}\t${ts}\t${spikes10.has(k) ? 1_000 : 20 + 5 * Math.sin(k / 500) + noise}\n`;
          // ~40 observations per 10 s, spread over the buckets (cumulative counts).
          for (let b = 0; b < bounds.length; b += 1) {
            counts[b] += Math.round(40 * Math.min(1, (b + 1 + noise) / bounds.length));
            chunk += `${bucketIds[b]}\t${ts}\t${b === bounds.length - 1 ? Math.max(counts[b], counts[b - 1]) : counts[b]}\n`;
          }
          rows += 13;
        }
        if (chunk.length > 256 * 1024) {
          yield chunk;
          chunk = "";
        }
      }
      if (chunk) yield chunk;
    }
    await client.query("BEGIN");
    await pipeline(Readable.from(lines()), client.query(copyFrom("COPY samples (series_id, ts, value) FROM STDIN")));
    await client.query("COMMIT");
  } finally {
    client.release();
  }
  await pool.query("VACUUM ANALYZE samples");
  // The bulk COPY bypasses the sample writer, so its 1-minute rollup is built in bulk.
  const tRollup = performance.now();
  const rollupRows = await rebuildRollup(pool, start, end + 1);
  const rollupSeconds = (performance.now() - tRollup) / 1_000;
  await pool.query("VACUUM ANALYZE samples_1m");
  return { rows, rollupRows, rollupSeconds, start, spikes10: [...spikes10].map((k) => start + (k + 1) * 10_000), spikes1: [...spikes1].map((i) => start + (i + 1) * 1_000) };
}

async function timeQuery(query: { range(q: RangeQuery): Promise<RangeResult> }, input: RangeQueryInput, runs: number) {
  const parsed = rangeQuerySchema.parse(input);
  for (let i = 0; i < 2; i += 1) await query.range(parsed);
  const times: number[] = [];
  let result = await query.range(parsed);
  for (let i = 0; i < runs; i += 1) {
    const t = performance.now();
    result = await query.range(parsed);
    times.push(performance.now() - t);
  }
  return { p50: median(times), max: Math.max(...times), result };
}

async function expositionBench() {
  const registry = new Registry();
  const counter = new Counter({ name: "bench_events_total", help: "Events", labelNames: ["controller", "key"], registers: [registry] });
  const gauge = new Gauge({ name: "bench_depth", help: "Depth", labelNames: ["controller", "queue"], registers: [registry] });
  const histogram = new Histogram({ name: "bench_duration_seconds", help: "Durations", labelNames: ["controller"], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry] });
  for (let i = 0; i < 5_000; i += 1) counter.inc({ controller: `c${i % 20}`, key: `ns/obj-${i}` }, i);
  for (let i = 0; i < 4_000; i += 1) gauge.set({ controller: `c${i % 20}`, queue: `q${i}` }, i);
  for (let i = 0; i < 72; i += 1) histogram.observe({ controller: `h${i}` }, (i % 10) / 10);
  // 5,000 + 4,000 + 72 × (11 buckets + +Inf + _sum + _count) = 10,008 series.
  const seriesCount = 5_000 + 4_000 + 72 * 14;
  // Both renderers warmed up alike before they are measured.
  for (let i = 0; i < 3; i += 1) {
    await registry.metrics();
    for await (const _ of expositionChunks(registry));
  }
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const times: number[] = [];
  let bytes = 0;
  loop.enable();
  for (let i = 0; i < 15; i += 1) {
    const t = performance.now();
    bytes = (await registry.metrics()).length;
    times.push(performance.now() - t);
    await new Promise((resolve) => setImmediate(resolve));
  }
  loop.disable();
  // Loopscope's /metrics renders family by family, in slices, and yields between them.
  const yielding = monitorEventLoopDelay({ resolution: 1 });
  const yieldingTimes: number[] = [];
  yielding.enable();
  for (let i = 0; i < 15; i += 1) {
    const t = performance.now();
    // As /metrics sends it: each chunk is handed on (here: counted) as soon as it is made.
    let streamed = 0;
    for await (const chunk of expositionChunks(registry)) streamed += chunk.length;
    if (streamed !== bytes) throw new Error(`the streamed exposition has ${streamed} characters, prom-client's ${bytes}`);
    yieldingTimes.push(performance.now() - t);
    await new Promise((resolve) => setImmediate(resolve));
  }
  yielding.disable();
  return {
    seriesCount,
    p50: median(times),
    maxBlockMs: loop.max / 1e6,
    bytes,
    yieldingP50: median(yieldingTimes),
    yieldingMaxBlockMs: yielding.max / 1e6,
  };
}

async function main() {
  const wall = performance.now();
  console.log(`== machine: ${os.availableParallelism()} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")} (other processes skew every figure)`);
  const db = await benchDatabase();
  const pool = createTimeseriesPool(db.url, { applicationName: "loopscope-bench", max: 4, log: quiet });
  try {
    console.log("== ingest (300,000 samples per run, 1,000 series, median of 3)");
    const ingest = await ingestBench(pool);
    console.log(`  raw COPY into samples (baseline)         ${fmt(ingest.copy, 0)} samples/s`);
    console.log(`  recorder, record() → committed           ${fmt(ingest.recorder, 0)} samples/s  (${fmt(ingest.recorder / ingest.copy, 2)}× COPY)`);
    console.log(`  recorder, flush of buffered samples only ${fmt(ingest.writeOnly, 0)} samples/s  (${fmt(ingest.writeOnly / ingest.copy, 2)}× COPY)`);
    console.log(`  recorder with always-staged dedupe       ${fmt(ingest.staged, 0)} samples/s  (${fmt(ingest.staged / ingest.copy, 2)}× COPY)`);
    await pool.query("TRUNCATE samples, samples_1m");

    console.log("== loading a week of data (10 s gauge, 1 s gauge, 12-bucket histogram at 10 s)");
    const end = Date.UTC(2030, 5, 1);
    const t = performance.now();
    const week = await loadWeek(pool, end);
    console.log(`  ${fmt(week.rows, 0)} samples in ${fmt((performance.now() - t) / 1_000, 1)} s, of which the 1-minute rollup (${fmt(week.rollupRows, 0)} rows, bulk INSERT … SELECT) ${fmt(week.rollupSeconds, 1)} s`);
    const size = await databaseSize(pool);
    const exact = (await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM samples")).rows[0].n;
    const bytesPerSample = size.samplesTotalBytes / exact;
    console.log(
      `  samples table ${fmt(size.samplesTableBytes / 1e6)} MB + indexes ${fmt(size.samplesIndexBytes / 1e6)} MB = ${fmt(bytesPerSample, 1)} bytes/sample (Prometheus TSDB: ~1–2 bytes/sample)`,
    );

    // As wired in the app: query connections with their session settings, 2-way fan-out.
    const queryPool = createTimeseriesPool(db.url, { applicationName: "loopscope-bench-query", max: 3, settings: QUERY_SESSION_SETTINGS, log: quiet });
    const query = new QueryService({ pool: queryPool, parallelism: 2 });
    const range = { start: end - WEEK_MS, end, maxPoints: 1_000 };
    console.log("== queries over 7 days to ≤ 1,000 points (p50 of 15 runs after 2 warm-ups)");
    const q10 = await timeQuery(query, { metric: "bench_gauge_10s", ...range }, 15);
    const q1 = await timeQuery(query, { metric: "bench_gauge_1s", ...range }, 15);
    const quantile = await timeQuery(query, { metric: "bench_latency_seconds", fn: "histogram_quantile", quantile: 0.99, aggregate: { op: "sum", by: [] }, ...range }, 15);
    const rate = await timeQuery(query, { metric: "bench_latency_seconds_bucket", fn: "rate", ...range }, 7);
    // Baseline: the same counter queries from raw samples only (no rollup).
    const rawSource = new PgSampleSource(queryPool, { parallelism: 2, rollup: false });
    const rawOnly = { range: (q: RangeQuery) => runRangeQuery(rawSource, q) };
    const quantileRaw = await timeQuery(rawOnly, { metric: "bench_latency_seconds", fn: "histogram_quantile", quantile: 0.99, aggregate: { op: "sum", by: [] }, ...range }, 7);
    const rateRaw = await timeQuery(rawOnly, { metric: "bench_latency_seconds_bucket", fn: "rate", ...range }, 5);
    const points = (r: typeof q10) => Math.max(...r.result.series.map((s) => s.points.length));
    const kept = (r: typeof q10, spikes: number[]) => spikes.filter((ts) => r.result.series[0].points.some(([pt]) => pt === ts)).length;
    console.log(`  raw 10 s gauge (60,480 → ${points(q10)} pts)        p50 ${fmt(q10.p50)} ms (target < 50)   spikes kept ${kept(q10, week.spikes10)}/${week.spikes10.length}`);
    console.log(`  raw 1 s gauge (604,800 → ${points(q1)} pts)        p50 ${fmt(q1.p50)} ms (target < 200)  spikes kept ${kept(q1, week.spikes1)}/${week.spikes1.length}`);
    console.log(`  histogram_quantile(0.99) 12 buckets (${points(quantile)} pts) p50 ${fmt(quantile.p50)} ms (target < 200; raw samples only: ${fmt(quantileRaw.p50)} ms)`);
    console.log(`  rate of 12 bucket series (${points(rate)} pts each)    p50 ${fmt(rate.p50)} ms (raw samples only: ${fmt(rateRaw.p50)} ms)`);

    await queryPool.end();
    console.log("== /metrics exposition of a prom-client registry");
    const exposition = await expositionBench();
    console.log(
      `  ${fmt(exposition.seriesCount, 0)} series, ${fmt(exposition.bytes / 1e6, 2)} MB: render p50 ${fmt(exposition.p50)} ms (target < 50), max event-loop block ${fmt(exposition.maxBlockMs)} ms (target ≤ 10) with registry.metrics(); ` +
        `Loopscope's yielding renderer: p50 ${fmt(exposition.yieldingP50)} ms, max block ${fmt(exposition.yieldingMaxBlockMs)} ms`,
    );
    console.log(`== done in ${fmt((performance.now() - wall) / 1_000)} s; load average now ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);
    console.log(
      JSON.stringify({
        ingest_samples_per_s: Math.round(ingest.recorder),
        ingest_copy_samples_per_s: Math.round(ingest.copy),
        ingest_ratio_vs_copy: Number((ingest.recorder / ingest.copy).toFixed(3)),
        ingest_write_only_samples_per_s: Math.round(ingest.writeOnly),
        ingest_staged_samples_per_s: Math.round(ingest.staged),
        query_p50_ms: Number(q10.p50.toFixed(1)),
        query_1s_week_p50_ms: Number(q1.p50.toFixed(1)),
        quantile_query_p50_ms: Number(quantile.p50.toFixed(1)),
        quantile_query_raw_p50_ms: Number(quantileRaw.p50.toFixed(1)),
        rate_12_series_week_p50_ms: Number(rate.p50.toFixed(1)),
        rate_12_series_week_raw_p50_ms: Number(rateRaw.p50.toFixed(1)),
        rollup_load_s: Number(week.rollupSeconds.toFixed(1)),
        spikes_kept: kept(q10, week.spikes10) + kept(q1, week.spikes1),
        spikes_total: week.spikes10.length + week.spikes1.length,
        bytes_per_sample: Number(bytesPerSample.toFixed(1)),
        exposition_10k_ms: Number(exposition.p50.toFixed(1)),
        exposition_max_block_ms: Number(exposition.maxBlockMs.toFixed(1)),
        exposition_yielding_10k_ms: Number(exposition.yieldingP50.toFixed(1)),
        exposition_yielding_max_block_ms: Number(exposition.yieldingMaxBlockMs.toFixed(1)),
      }),
    );
  } finally {
    await pool.end();
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
