import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type pg from "pg";
import pino from "pino";
import { Gauge, Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildOverview } from "../../../server/dashboard/overview";
import { renderExposition } from "../../../server/metrics/exposition";
import { PgSampleSource } from "../../../server/query/pg-sample-source";
import { QueryService } from "../../../server/query/query-service";
import { rangeQuerySchema, runRangeQuery, type RangeQueryInput } from "../../../server/query/range-query";
import { Recorder } from "../../../server/recorder/recorder";
import { setSelfLabels } from "../../../server/recorder/registry-collector";
import { TargetsService } from "../../../server/scrape/targets-service";
import { SecretBox } from "../../../server/secrets";
import { disconnectAll, prismaClient } from "../../../server/store/prisma";
import { createTimeseriesPool } from "../../../server/store/timeseries-pool";
import { createTestDatabase, type TestDatabase } from "../../support/db";

/**
 * Scraped series through the real pipeline (loopback exporter → TargetsService →
 * Recorder → Postgres → query): target labels as Prometheus attaches them, duplicate
 * series dropped with up = 1, and staleness markers ending series that vanish, whose
 * scrape fails, or whose target is removed.
 */

const silent = pino({ level: "silent" });
let db: TestDatabase;
let pool: pg.Pool;
let exporter: http.Server;
let base = "";
let body = "";
let status = 200;
const selfRegistry = new Registry();

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createTimeseriesPool(db.url, { applicationName: "loopscope-test-staleness", max: 3 });
  exporter = http.createServer((req, res) => {
    res.statusCode = req.url === "/self" ? 200 : status;
    res.setHeader("content-type", "text/plain; version=0.0.4");
    if (req.url === "/self") void renderExposition(selfRegistry).then((text) => res.end(text));
    else res.end(body);
  });
  await new Promise<void>((resolve) => exporter.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(exporter.address() as AddressInfo).port}`;
});

afterAll(async () => {
  setSelfLabels({});
  await new Promise((resolve) => exporter.close(resolve));
  await disconnectAll();
  await pool.end();
  await db.drop();
});

describe("scraped series: target labels, duplicates, staleness", () => {
  it("labels scraped series with job and instance, drops a duplicate keeping up = 1, and ends vanished, failed and removed series", async () => {
    const prisma = prismaClient(db.url);
    const recorder = new Recorder({ pool, log: silent });
    const targets = new TargetsService({
      prisma,
      secrets: new SecretBox(randomBytes(32)),
      log: silent,
      record: (source, families, ts) => recorder.recordScrape(source, families, ts),
      endSource: (source) => recorder.endSource(source),
    });
    const source = new PgSampleSource(pool);
    const query = (input: Omit<RangeQueryInput, "start" | "end" | "stepMs">, start: number, end: number) =>
      runRangeQuery(source, rangeQuerySchema.parse({ ...input, start, end, stepMs: 100 }));

    body = '# TYPE go_goroutines gauge\ngo_goroutines{job="exported"} 34\ngo_goroutines{job="exported"} 35\n# TYPE workers gauge\nworkers{pod="a"} 4\nworkers{pod="b"} 4\n';
    const target = await targets.create({ name: "orders", url: `${base}/metrics`, labels: { team: "payments" }, intervalMs: 3_600_000 });
    await targets.start();
    try {
      const t1 = (await targets.scrapeNow(target.id)).lastScrapeAt!;
      await recorder.flush();
      const goroutines = await query({ metric: "go_goroutines", matchers: [{ name: "job", op: "=", value: "orders" }], fn: "raw" }, t1 - 1_000, t1 + 1_000);
      expect(goroutines.series.map((s) => s.labels)).toEqual([
        { __name__: "go_goroutines", exported_job: "exported", instance: new URL(base).host, job: "orders", team: "payments" },
      ]);
      // The first of the two exposed values is kept, as Prometheus keeps it.
      expect(goroutines.series[0].points.map(([, v]) => v)).toEqual([34]);
      const up = await query({ metric: "up", matchers: [{ name: "instance", op: "=", value: new URL(base).host }], fn: "raw" }, t1 - 1_000, t1 + 1_000);
      expect(up.series[0].points.map(([, v]) => v)).toEqual([1]);
      const dup = await query({ metric: "loopscope_scrape_duplicate_samples", fn: "raw" }, t1 - 1_000, t1 + 1_000);
      expect(dup.series[0].points.map(([, v]) => v)).toEqual([1]);

      // b vanishes from the exposition: it ends at that scrape.
      body = "# TYPE workers gauge\nworkers{pod=\"a\"} 4\n";
      const t2 = (await targets.scrapeNow(target.id)).lastScrapeAt!;
      // The scrape fails: a ends too (up = 0 is still recorded).
      status = 500;
      const t3 = (await targets.scrapeNow(target.id)).lastScrapeAt!;
      await recorder.flush();
      const workersAt = async (t: number) => (await query({ metric: "workers", fn: "raw", aggregate: { op: "sum" } }, t, t)).series[0]?.points[0]?.[1];
      expect(await workersAt(t1)).toBe(8);
      expect(await workersAt(t2)).toBe(4);
      // From the failed scrape on, no worker is counted (without markers: 8 for 5 minutes).
      expect(await workersAt(t3)).toBeUndefined();
      expect(await workersAt(t3 + 60_000)).toBeUndefined();
      const upAfter = await query({ metric: "up", fn: "raw", aggregate: { op: "max" } }, t3, t3 + 200);
      expect(upAfter.series[0].points[0][1]).toBe(0);

      // Recovers, then the target is removed: its series end at once.
      status = 200;
      body = "# TYPE workers gauge\nworkers{pod=\"a\"} 2\n";
      const t4 = (await targets.scrapeNow(target.id)).lastScrapeAt!;
      await new Promise((resolve) => setTimeout(resolve, 50));
      await targets.remove(target.id);
      const removedAt = Date.now();
      await recorder.flush();
      expect(await workersAt(t4)).toBe(2);
      expect(await workersAt(removedAt + 1_000)).toBeUndefined();
    } finally {
      await targets.stop();
      await recorder.stop();
    }
  });

  it("scraping Loopscope's own /metrics is one more job: job=\"loopscope\" sums stay as they were", async () => {
    const prisma = prismaClient(db.url);
    await prisma.scrapeTarget.deleteMany({});
    setSelfLabels({ job: "loopscope", instance: "127.0.0.1:3000" });
    const workers = new Gauge({ name: "controller_runtime_active_workers", help: "w", labelNames: ["controller"], registers: [selfRegistry] });
    workers.set({ controller: "pods" }, 4);
    const depth = new Gauge({ name: "workqueue_depth", help: "d", labelNames: ["name"], registers: [selfRegistry] });
    depth.set({ name: "pods" }, 7);
    const recorder = new Recorder({ pool, registry: selfRegistry, log: silent });
    const targets = new TargetsService({ prisma, secrets: new SecretBox(randomBytes(32)), log: silent, record: (s, f, ts) => recorder.recordScrape(s, f, ts) });
    await targets.start();
    try {
      const t = Date.now();
      await recorder.collect(t);
      await recorder.flush();
      const sources = { query: new QueryService({ pool }) };
      const overview = async () => {
        const o = await buildOverview(sources, { from: t, to: t + 9_000, points: 10 }, t + 9_000);
        return o.controllers.map((c) => ({ name: c.name, kind: c.kind, depth: [...new Set(c.depthPoints.map(([, v]) => v))] }));
      };
      const before = await overview();
      expect(before).toEqual([{ name: "pods", kind: "built-in", depth: [7] }]);
      const self = await targets.create({ name: "loopscope-self", url: `${base}/self`, intervalMs: 3_600_000 });
      await targets.scrapeNow(self.id);
      await recorder.flush();
      const source = new PgSampleSource(pool);
      const sumOf = async (matchers: RangeQueryInput["matchers"]) =>
        (await runRangeQuery(source, rangeQuerySchema.parse({ metric: "controller_runtime_active_workers", matchers, fn: "raw", aggregate: { op: "sum" }, start: t + 2_000, end: t + 2_000 }))).series[0]
          ?.points[0]?.[1];
      expect(await sumOf([{ name: "job", op: "=", value: "loopscope" }])).toBe(4);
      expect(await sumOf([{ name: "job", op: "=", value: "loopscope-self" }])).toBe(4);
      expect(await sumOf([{ name: "instance", op: "=", value: new URL(base).host }])).toBe(4);
      // The overview counts as before: one "pods" card, its depth not doubled, no scraped twin.
      expect(await overview()).toEqual(before);
    } finally {
      await targets.stop();
      await recorder.stop();
    }
  });
});
