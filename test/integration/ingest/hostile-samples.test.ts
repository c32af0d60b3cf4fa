import http from "node:http";
import type { AddressInfo } from "node:net";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import pg from "pg";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SAMPLE_LIMITS } from "../../../server/ingest/sample-limits";
import { log } from "../../../server/log";
import { Recorder } from "../../../server/recorder/recorder";
import { Scraper } from "../../../server/scrape/scraper";
import { recordingReadiness } from "../../../server/system/status";
import { createTimeseriesPool } from "../../../server/store/timeseries-pool";
import { createTestDatabase, type TestDatabase } from "../../support/db";

/**
 * Issue 17, items 1 and 8: a real loopback exporter whose exposition carries samples stamped
 * in year 10000 and year −1, and a 10 MB label value. Everything else it exposes, and every
 * other source, keeps being recorded; the hostile samples are refused and counted per target.
 */
const YEAR_10000_MS = 253_402_300_800_000;
const YEAR_MINUS_1_MS = -62_198_755_200_000;
const BIG = 10_000_000;

let requests = 0;
const exporter = http.createServer((req, res) => {
  requests += 1;
  res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
  if (req.url === "/metrics") {
    res.end(
      [
        "# TYPE jobs_total counter",
        `jobs_total ${requests}`,
        "# TYPE future_sample gauge",
        `future_sample 1 ${YEAR_10000_MS}`,
        "# TYPE ancient_sample gauge",
        `ancient_sample 1 ${YEAR_MINUS_1_MS}`,
        "",
      ].join("\n"),
    );
  } else {
    // A new 10 MB label value on every scrape (a different series each time), beside a normal gauge.
    const letter = String.fromCharCode(97 + (requests % 26));
    res.end(`# TYPE huge gauge\nhuge{blob="${letter.repeat(BIG)}"} 1\n# TYPE queue_depth gauge\nqueue_depth ${requests}\n`);
  }
});

let base = "";
let db: TestDatabase;
let pool: ReturnType<typeof createTimeseriesPool>;
const quiet = log.child({});
quiet.level = "silent";

beforeAll(async () => {
  await new Promise<void>((resolve) => exporter.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(exporter.address() as AddressInfo).port}`;
  db = await createTestDatabase();
  pool = createTimeseriesPool(db.url, { applicationName: "hostile-samples", max: 2 });
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
  exporter.closeAllConnections();
  await new Promise<void>((resolve) => exporter.close(() => resolve()));
});

async function stored(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
}

function gc(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

describe("hostile samples from a real exporter", () => {
  it("refuses samples stamped in year 10000 and year −1 and keeps recording everything else", async () => {
    const scraper = new Scraper();
    const recorder = new Recorder({ pool, metricsRegistry: new Registry(), limits: DEFAULT_SAMPLE_LIMITS, log: quiet });
    try {
      for (let i = 0; i < 3; i += 1) {
        const result = await scraper.scrape({ url: `${base}/metrics`, timeoutMs: 5_000 });
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        recorder.recordScrape("target:1", result.families, result.scrapedAt + i);
        // Another source at the same time must not be held up by target 1.
        recorder.record("self", [{ metric: "self_gauge", labels: {}, value: i, ts: Date.now() + i, type: "gauge", help: "" }]);
        expect(await recorder.flush()).toBe(true);
      }
    } finally {
      await scraper.close();
    }
    const rows = await stored("SELECT se.metric, count(*)::int AS n FROM samples s JOIN series se ON se.id = s.series_id GROUP BY se.metric ORDER BY se.metric");
    expect(rows).toEqual([
      { metric: "jobs_total", n: 3 },
      { metric: "self_gauge", n: 3 },
    ]);
    const rejected = recorder.rejected("target:1");
    expect(rejected?.total).toBe(6);
    expect(rejected?.byReason.timestamp).toBe(6);
    expect(rejected?.lastMessage).toMatch(/outside the years 1–9999/);
    expect(recorder.status().degraded).toBe(false);
    const readiness = recordingReadiness(recorder);
    expect(readiness.ready).toBe(true);
    expect(readiness.summary?.rejectedBySource).toEqual([{ source: "target:1", total: 6, last: expect.stringMatching(/sample timestamp/) }]);
  });

  it("isolates a row the database refuses (a NUL in HELP) instead of retrying its batch forever", async () => {
    const recorder = new Recorder({ pool, metricsRegistry: new Registry(), log: quiet, retryInitialMs: 10 });
    const now = Date.now();
    const samples = Array.from({ length: 200 }, (_, i) => ({ metric: "batch_gauge", labels: { i: String(i) }, value: i, ts: now, type: "gauge" as const, help: "ok" }));
    samples[137] = { ...samples[137], metric: "poison_gauge", help: "bad\u0000help" };
    expect(recorder.record("target:2", samples)).toBe(200);
    expect(await recorder.flush()).toBe(true);
    const [{ n }] = await stored("SELECT count(*)::int AS n FROM samples s JOIN series se ON se.id = s.series_id WHERE se.metric = 'batch_gauge'");
    expect(n).toBe(199);
    const rejected = recorder.rejected("target:2");
    expect(rejected?.byReason.write_rejected).toBe(1);
    expect(rejected?.lastMessage).toMatch(/poison_gauge/);
    expect(recorder.status()).toMatchObject({ buffered: 0, degraded: false, rejected: 1 });
  });

  it("refuses a 10 MB label value without storing it or holding on to it", async () => {
    const scraper = new Scraper();
    const recorder = new Recorder({ pool, metricsRegistry: new Registry(), limits: DEFAULT_SAMPLE_LIMITS, log: quiet });
    const collect = gc();
    collect();
    const before = process.memoryUsage().heapUsed;
    try {
      for (let i = 0; i < 8; i += 1) {
        const result = await scraper.scrape({ url: `${base}/huge`, timeoutMs: 10_000 });
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        recorder.recordScrape("target:3", result.families, result.scrapedAt);
        expect(await recorder.flush()).toBe(true);
      }
    } finally {
      await scraper.close();
    }
    collect();
    const grownMb = (process.memoryUsage().heapUsed - before) / 1_048_576;
    // Eight 10 MB values kept (in the recorder's series caches) would be 80 MB or more.
    expect(grownMb).toBeLessThan(40);
    const [{ longest }] = await stored("SELECT coalesce(max(length(labels::text)), 0)::int AS longest FROM series");
    expect(longest).toBeLessThan(1_000);
    const [{ n }] = await stored("SELECT count(*)::int AS n FROM samples s JOIN series se ON se.id = s.series_id WHERE se.metric = 'queue_depth'");
    expect(n).toBe(8);
    expect(recorder.rejected("target:3")).toMatchObject({ total: 8, byReason: { label_value_length: 8 } });
    expect(recorder.rejected("target:3")?.lastMessage).toMatch(/label blob of "huge" has a value of 10000000 characters, more than 4096/);
  });
});
