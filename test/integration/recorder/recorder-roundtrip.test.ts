import type pg from "pg";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QueryService } from "../../../server/query/query-service";
import { rangeQuerySchema, type RangeQueryInput } from "../../../server/query/range-query";
import { Recorder } from "../../../server/recorder/recorder";
import { createTimeseriesPool } from "../../../server/store/timeseries-pool";
import { createTestDatabase, type TestDatabase } from "../../support/db";

const S = 1_000;
const T0 = 1_800_000_000_000; // a multiple of a minute
const at = (k: number) => T0 + k * 10 * S;

let db: TestDatabase;
let pool: pg.Pool;
let query: QueryService;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createTimeseriesPool(db.url, { applicationName: "loopscope-test-roundtrip", max: 3 });
  query = new QueryService({ pool, parallelism: 2 });

  // A registry with known values, collected every 10 s of (explicit) time for 30 ticks.
  const registry = new Registry();
  const jobs = new Counter({ name: "jobs_total", help: "Jobs done", labelNames: ["kind"], registers: [registry] });
  const depth = new Gauge({ name: "queue_depth", help: "Depth", registers: [registry] });
  const latency = new Histogram({ name: "job_seconds", help: "Job time", buckets: [0.005, 0.5, 1], registers: [registry] });
  const recorder = new Recorder({ pool, registry, metricsRegistry: new Registry(), intervalMs: 60_000 });
  for (let k = 1; k <= 30; k += 1) {
    // The process "restarts" before tick 16: the counter starts again from 0.
    if (k === 16) jobs.reset();
    jobs.inc({ kind: "build" }, 10); // +1/s
    jobs.inc({ kind: "test" }, 20); // +2/s (reset at 16 too)
    depth.set(k === 20 ? 500 : k);
    latency.observe(0.003);
    for (let i = 0; i < 3; i += 1) latency.observe(0.3);
    expect(await recorder.collect(at(k))).toBeGreaterThan(0);
  }
  expect(await recorder.flush()).toBe(true);
  expect(recorder.status()).toMatchObject({ degraded: false, buffered: 0, dropped: 0, written: 30 * 9 });
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const run = (input: RangeQueryInput) => query.range(rangeQuerySchema.parse(input));

describe("recorder → Postgres → queries round trip", () => {
  it("stores raw cumulative values, one series per name and label set", async () => {
    const { rows } = await pool.query("SELECT metric, labels, type, help FROM series ORDER BY metric, labels::text");
    expect(rows).toEqual([
      { metric: "job_seconds_bucket", labels: { le: "+Inf" }, type: "histogram", help: "Job time" },
      { metric: "job_seconds_bucket", labels: { le: "0.005" }, type: "histogram", help: "Job time" },
      { metric: "job_seconds_bucket", labels: { le: "0.5" }, type: "histogram", help: "Job time" },
      { metric: "job_seconds_bucket", labels: { le: "1" }, type: "histogram", help: "Job time" },
      { metric: "job_seconds_count", labels: {}, type: "histogram", help: "Job time" },
      { metric: "job_seconds_sum", labels: {}, type: "histogram", help: "Job time" },
      { metric: "jobs_total", labels: { kind: "build" }, type: "counter", help: "Jobs done" },
      { metric: "jobs_total", labels: { kind: "test" }, type: "counter", help: "Jobs done" },
      { metric: "queue_depth", labels: {}, type: "gauge", help: "Depth" },
    ]);
    const raw = await run({ metric: "jobs_total", matchers: [{ name: "kind", op: "=", value: "build" }], start: at(1), end: at(30) });
    expect(raw.series).toHaveLength(1);
    expect(raw.series[0].labels).toEqual({ __name__: "jobs_total", kind: "build" });
    expect(raw.series[0].points).toEqual(Array.from({ length: 30 }, (_, i) => [at(i + 1), i + 1 < 16 ? 10 * (i + 1) : 10 * (i + 1 - 15)]));
  });

  it("rate and increase handle the counter reset (hand-computed)", async () => {
    const base = { metric: "jobs_total", start: T0 + 60 * S, end: T0 + 300 * S, stepMs: 60 * S, windowMs: 60 * S } as const;
    const rate = await run({ ...base, fn: "rate" });
    expect(rate.series.map((s) => s.labels)).toEqual([{ kind: "build" }, { kind: "test" }]);
    // Six samples per window, 10 s apart, 10 s from the window start: increase 50 (resets
    // add the pre-reset value) × 60/50, over 60 s → exactly 1/s and 2/s, also across the reset at 160 s.
    expect(rate.series[0].points.map(([t]) => t)).toEqual([60, 120, 180, 240, 300].map((s) => T0 + s * S));
    for (const [, v] of rate.series[0].points) expect(v).toBeCloseTo(1, 12);
    for (const [, v] of rate.series[1].points) expect(v).toBeCloseTo(2, 12);
    const increase = await run({ ...base, fn: "increase", aggregate: { op: "sum" } });
    for (const [, v] of increase.series[0].points) expect(v).toBeCloseTo(180, 10);
  });

  it("histogram_quantile over bucket rates (hand-computed)", async () => {
    const base = { metric: "job_seconds", start: T0 + 60 * S, end: T0 + 300 * S, stepMs: 60 * S, windowMs: 60 * S, fn: "histogram_quantile" } as const;
    // Per second: 0.1 observations ≤ 0.005, 0.4 ≤ 0.5 (and ≤ 1, +Inf).
    const p50 = await run({ ...base, quantile: 0.5 });
    expect(p50.series).toHaveLength(1);
    expect(p50.series[0].labels).toEqual({});
    // rank 0.2 → bucket (0.005, 0.5] holding 0.3, 0.1 below it → 0.005 + 0.495 × 0.1/0.3.
    for (const [, v] of p50.series[0].points) expect(v).toBeCloseTo(0.005 + 0.495 / 3, 12);
    const p90 = await run({ ...base, quantile: 0.9, aggregate: { op: "sum", by: [] } });
    for (const [, v] of p90.series[0].points) expect(v).toBeCloseTo(0.005 + (0.495 * 0.26) / 0.3, 12);
    expect(p90.series[0].points).toHaveLength(5);
  });

  it("deriv of a gauge and the spike of a gauge survive downsampling", async () => {
    const deriv = await run({ metric: "queue_depth", start: T0 + 120 * S, end: T0 + 180 * S, stepMs: 60 * S, windowMs: 60 * S, fn: "deriv" });
    // depth = k at t = 10k s → slope 0.1/s in windows without the spike.
    expect(deriv.series[0].points[0]).toEqual([T0 + 120 * S, expect.closeTo(0.1, 12)]);
    const raw = await run({ metric: "queue_depth", start: at(1), end: at(30), maxPoints: 6 });
    expect(raw.series[0].points.length).toBeLessThanOrEqual(6);
    expect(raw.series[0].points).toContainEqual([at(20), 500]);
  });

  it("lists metric names, label names and label values for pickers", async () => {
    const metrics = await query.metrics();
    expect(metrics.map((m) => m.metric)).toEqual(["job_seconds_bucket", "job_seconds_count", "job_seconds_sum", "jobs_total", "queue_depth"]);
    expect(metrics.find((m) => m.metric === "job_seconds_bucket")).toEqual({ metric: "job_seconds_bucket", type: "histogram", help: "Job time", series: 4 });
    expect((await query.metrics("JOBS")).map((m) => m.metric)).toEqual(["jobs_total"]);
    expect(await query.labelNames("jobs_total")).toEqual(["kind"]);
    expect(await query.labelValues("kind", { metric: "jobs_total" })).toEqual(["build", "test"]);
    expect(await query.labelValues("le")).toEqual(["+Inf", "0.005", "0.5", "1"]);
    expect(await query.labelValues("kind", { metric: "jobs_total", matchers: [{ name: "kind", op: "!=", value: "build" }] })).toEqual(["test"]);
    const storage = await query.storage();
    expect(storage.databaseBytes).toBeGreaterThan(0);
    expect(storage.samplesTotalBytes).toBeGreaterThan(0);
    expect(storage.seriesCount).toBe(9);
  });
});

describe("recorder bookkeeping", () => {
  it("skips a repeated timestamp and forgets series idle for an hour", async () => {
    let now = T0;
    const recorder = new Recorder({ pool, metricsRegistry: new Registry(), now: () => now });
    const family = (value: number) => [{ name: "idle_probe", type: "gauge", help: "", samples: [{ name: "idle_probe", labels: { k: "v" }, value }] }];
    expect(recorder.recordScrape("target:9", family(1), T0)).toBe(1);
    expect(recorder.recordScrape("target:9", family(2), T0)).toBe(0); // same series, same timestamp
    expect(await recorder.flush()).toBe(true);
    now = T0 + 30 * 60_000;
    expect(recorder.forgetIdleSeries()).toBe(0);
    now = T0 + 61 * 60_000;
    expect(recorder.forgetIdleSeries()).toBe(1);
    // A forgotten series that returns gets its stored id back.
    expect(recorder.recordScrape("target:9", family(3), T0 + 61 * 60_000)).toBe(1);
    expect(await recorder.flush()).toBe(true);
    const rows = await pool.query("SELECT count(DISTINCT series_id)::int AS series, count(*)::int AS n FROM samples s JOIN series se ON se.id = s.series_id WHERE se.metric = 'idle_probe'");
    expect(rows.rows[0]).toEqual({ series: 1, n: 2 });
  });
});
