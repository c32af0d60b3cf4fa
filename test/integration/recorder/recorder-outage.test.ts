import pg from "pg";
import { type Counter, Registry } from "prom-client";
import { afterEach, describe, expect, it, vi } from "vitest";
import { log } from "../../../server/log";
import { Recorder } from "../../../server/recorder/recorder";
import type { ScrapedFamily } from "../../../server/recorder/scrape-families";
import { createTimeseriesPool } from "../../../server/store/timeseries-pool";
import { createTestDatabase, type TestDatabase } from "../../support/db";
import { TcpProxy } from "./tcp-proxy";

const T0 = 1_800_000_000_000;

/** One scrape of `series` gauges whose value encodes (series, tick), stamped tick seconds after T0. */
function scrape(tick: number, series: number): ScrapedFamily[] {
  return [
    {
      name: "probe",
      type: "gauge",
      help: "test probe",
      samples: Array.from({ length: series }, (_, s) => ({ name: "probe", labels: { s: String(s) }, value: tick * 1_000 + s })),
    },
  ];
}

async function storedSamples(url: string): Promise<{ count: number; distinct: number; wrong: number; minTick: number; maxTick: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query(
    `SELECT count(*)::int AS count, count(DISTINCT (s.series_id, s.ts))::int AS distinct,
            count(*) FILTER (WHERE s.value <> ((extract(epoch FROM s.ts) * 1000 - $1) / 1000) * 1000 + (se.labels->>'s')::int)::int AS wrong,
            coalesce(min((extract(epoch FROM s.ts) * 1000 - $1) / 1000), -1)::int AS "minTick",
            coalesce(max((extract(epoch FROM s.ts) * 1000 - $1) / 1000), -1)::int AS "maxTick"
     FROM samples s JOIN series se ON se.id = s.series_id`,
    [T0],
  );
  await client.end();
  return rows[0];
}

function droppedMetric(registry: Registry): Promise<number> {
  const metric = registry.getSingleMetric("loopscope_recorder_dropped_samples_total") as Counter;
  return metric.get().then((m) => m.values[0]?.value ?? 0);
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(options: { bufferCapacity: number; applicationName: string; maxBatchSamples?: number }) {
  const db: TestDatabase = await createTestDatabase();
  cleanups.push(() => db.drop());
  const { proxy, url } = await TcpProxy.forUrl(db.url);
  cleanups.push(() => proxy.close());
  const pool = createTimeseriesPool(url, { applicationName: options.applicationName, max: 2, connectionTimeoutMs: 1_000 });
  cleanups.push(() => pool.end());
  const metrics = new Registry();
  const recorder = new Recorder({
    pool,
    metricsRegistry: metrics,
    bufferCapacity: options.bufferCapacity,
    maxBatchSamples: options.maxBatchSamples,
    retryInitialMs: 20,
    retryMaxMs: 100,
    log: log.child({}, { level: process.env.TEST_LOG_LEVEL ?? "error" }),
  });
  cleanups.push(() => recorder.stop(200));
  return { db, proxy, recorder, metrics };
}

describe("recorder while the database is unavailable", () => {
  it("buffers during an outage and stores every sample exactly once on recovery", async () => {
    const { db, proxy, recorder } = await setup({ bufferCapacity: 10_000, applicationName: "loopscope-test-outage" });
    for (let tick = 0; tick < 10; tick += 1) recorder.recordScrape("target:1", scrape(tick, 50), T0 + tick * 1_000);
    expect(await recorder.flush()).toBe(true);
    expect((await storedSamples(db.url)).count).toBe(500);

    proxy.cut();
    for (let tick = 10; tick < 40; tick += 1) recorder.recordScrape("target:1", scrape(tick, 50), T0 + tick * 1_000);
    await vi.waitFor(() => expect(recorder.status().writeErrors).toBeGreaterThan(1), { timeout: 10_000, interval: 20 });
    const during = recorder.status();
    expect(during.degraded).toBe(true);
    expect(during.buffered).toBe(1_500);
    expect(during.lastError).toBeTruthy();
    expect(during.nextRetryAt).not.toBeNull();

    proxy.restore();
    await vi.waitFor(() => expect(recorder.status().buffered).toBe(0), { timeout: 10_000, interval: 20 });
    expect(recorder.status()).toMatchObject({ degraded: false, dropped: 0, written: 2_000 });
    expect(await storedSamples(db.url)).toEqual({ count: 2_000, distinct: 2_000, wrong: 0, minTick: 0, maxTick: 39 });
  });

  it("drops the oldest samples beyond the bound, counts them, and stores the rest exactly once", async () => {
    const { db, proxy, recorder, metrics } = await setup({ bufferCapacity: 1_000, applicationName: "loopscope-test-overflow" });
    proxy.cut();
    for (let tick = 0; tick < 30; tick += 1) recorder.recordScrape("target:1", scrape(tick, 50), T0 + tick * 1_000);
    expect(recorder.status()).toMatchObject({ buffered: 1_000, dropped: 500 });
    expect(await droppedMetric(metrics)).toBe(500);
    const buffered = (await metrics.getSingleMetric("loopscope_recorder_buffered_samples")?.get())?.values[0]?.value;
    expect(buffered).toBe(1_000);
    await vi.waitFor(() => expect(recorder.status().writeErrors).toBeGreaterThan(0), { timeout: 10_000, interval: 20 });

    proxy.restore();
    expect(await recorder.flush()).toBe(true);
    // Ticks 0–9 (the oldest 500) were dropped; ticks 10–29 are all there, once.
    expect(await storedSamples(db.url)).toEqual({ count: 1_000, distinct: 1_000, wrong: 0, minTick: 10, maxTick: 29 });
    expect(await droppedMetric(metrics)).toBe(500);
    const errors = (await metrics.getSingleMetric("loopscope_recorder_write_errors_total")?.get())?.values[0]?.value ?? 0;
    expect(errors).toBeGreaterThan(0);
    const lastFlush = (await metrics.getSingleMetric("loopscope_recorder_last_flush_timestamp_seconds")?.get())?.values[0]?.value ?? 0;
    expect(lastFlush).toBeGreaterThan(0);
  });

  it("survives its connections being terminated mid-write (pg_terminate_backend): exactly once", async () => {
    const applicationName = `loopscope-test-kill-${process.pid}`;
    const { db, recorder } = await setup({ bufferCapacity: 200_000, applicationName, maxBatchSamples: 10_000 });
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    cleanups.push(() => admin.end());
    for (let tick = 0; tick < 100; tick += 1) recorder.recordScrape("target:1", scrape(tick, 1_000), T0 + tick * 1_000);
    let kills = 0;
    // Terminate the recorder's connections a few times while it drains 100,000 samples
    // (mid-COPY, between batches, or at commit: whichever the moment hits).
    for (let round = 0; round < 60 && kills < 6 && recorder.status().buffered > 0; round += 1) {
      const { rows } = await admin.query("SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1", [applicationName]);
      kills += rows[0].n;
      await new Promise((resolve) => setTimeout(resolve, 10 + 17 * round));
    }
    await vi.waitFor(() => expect(recorder.status().buffered).toBe(0), { timeout: 15_000, interval: 20 });
    expect(kills).toBeGreaterThan(0);
    expect(recorder.status().dropped).toBe(0);
    expect(await storedSamples(db.url)).toEqual({ count: 100_000, distinct: 100_000, wrong: 0, minTick: 0, maxTick: 99 });
  });
});
