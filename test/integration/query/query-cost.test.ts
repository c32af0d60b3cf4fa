import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { TRPCError } from "@trpc/server";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PgSampleSource } from "../../../server/query/pg-sample-source";
import { QueryBudgetError, QueryCancelledError } from "../../../server/query/query-cost";
import { rangeQuerySchema, runRangeQuery } from "../../../server/query/range-query";
import { describeSeries } from "../../../server/recorder/sample";
import { SampleWriter } from "../../../server/store/sample-writer";
import { SeriesStore } from "../../../server/store/series-store";
import { createTimeseriesPool, QUERY_SESSION_SETTINGS } from "../../../server/store/timeseries-pool";
import { createTestDatabase, type TestDatabase } from "../../support/db";

/** The query cost model against real Postgres: budgets refuse before reading, deadlines and cancellation stop Postgres too. */

const APP = "loopscope-test-query-cost";
const DAY = 86_400_000;
const END = 1_800_000_000_000;
let db: TestDatabase;
let pool: pg.Pool;
let queryPool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createTimeseriesPool(db.url, { applicationName: `${APP}-w`, max: 2 });
  queryPool = createTimeseriesPool(db.url, { applicationName: APP, max: 3, settings: QUERY_SESSION_SETTINGS });
  const series = new SeriesStore(pool);
  const writer = new SampleWriter(pool);
  const descriptors = Array.from({ length: 100 }, (_, k) => describeSeries("target:1", { metric: "cost_total", labels: { k: String(k) }, type: "counter", help: "" }));
  const ids = await series.resolve(descriptors);
  // A few hours of 15 s samples per series: enough for every bucket probe to find rows.
  const seriesIds: number[] = [];
  const ts: number[] = [];
  const values: number[] = [];
  for (const d of descriptors) {
    for (let t = END - 6 * 3_600_000; t <= END; t += 15_000) {
      seriesIds.push(ids.get(d.hash)!);
      ts.push(t);
      values.push((t - END) / 1000 + 1e6);
    }
  }
  await writer.write({ seriesIds, ts, values, length: seriesIds.length });
}, 120_000);

afterAll(async () => {
  await queryPool?.end();
  await pool?.end();
  await db?.drop();
});

async function activeStatements(): Promise<number> {
  const { rows } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND state = 'active'", [APP]);
  return rows[0].n;
}

describe("query cost model", () => {
  it("refuses a query over the bucket-read budget before reading, with what to narrow (HTTP 422 through tRPC)", async () => {
    const source = new PgSampleSource(queryPool);
    // 100 series × a week of 1-minute buckets: 1,008,000+ bucket reads.
    const query = rangeQuerySchema.parse({ metric: "cost_total", fn: "rate", start: END - 7 * DAY, end: END, stepMs: 60_000, windowMs: 300_000, maxPoints: 11_000 });
    const refusal = await runRangeQuery(source, query, { limits: { maxBucketReads: 500_000 } }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(QueryBudgetError);
    expect((refusal as Error).message).toMatch(/^query too expensive: 100 series × 10,08\d time buckets = 1,00\d,\d{3} bucket reads \(limit 500,000\); narrow the matchers/);
    const status = getHTTPStatusCodeFromError(new TRPCError({ code: "UNPROCESSABLE_CONTENT", message: (refusal as Error).message }));
    expect(status).toBe(422);
    // Within budget, the same query answers.
    const ok = await runRangeQuery(source, rangeQuerySchema.parse({ ...query, start: END - 2 * 3_600_000 }), { limits: { maxBucketReads: 500_000 } });
    expect(ok.series).toHaveLength(100);
  });

  it("refuses a query over the sample budget, counted as rows arrive", async () => {
    const source = new PgSampleSource(queryPool);
    const query = rangeQuerySchema.parse({ metric: "cost_total", fn: "increase", start: END - 3 * 3_600_000, end: END, stepMs: 300_000, windowMs: 300_000 });
    await expect(runRangeQuery(source, query, { limits: { maxSamples: 10_000 } })).rejects.toThrow(/^query too expensive: more than 10,000 samples to aggregate/);
  });

  it("refuses a window far wider than the range and step", async () => {
    const source = new PgSampleSource(queryPool);
    const query = rangeQuerySchema.parse({ metric: "cost_total", fn: "rate", start: END - 60_000, end: END, stepMs: 15_000, windowMs: 30 * DAY });
    await expect(runRangeQuery(source, query)).rejects.toThrow(/windowMs 2592000000 is too wide for this range and step/);
  });

  it("cancels a query past its deadline, in Postgres too", async () => {
    const source = new PgSampleSource(queryPool);
    const query = rangeQuerySchema.parse({ metric: "cost_total", fn: "rate", start: END - 6 * 3_600_000, end: END, stepMs: 1_000, windowMs: 61_000, maxPoints: 11_000, aggregate: { op: "sum" } });
    const started = Date.now();
    const error = await runRangeQuery(source, query, { limits: { timeoutMs: 150 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueryCancelledError);
    expect((error as QueryCancelledError).reason).toBe("timeout");
    expect(Date.now() - started).toBeLessThan(10_000);
    await expect.poll(activeStatements, { timeout: 5_000 }).toBe(0);
  });

  it("cancels the Postgres statements when the client goes away", async () => {
    const source = new PgSampleSource(queryPool);
    const query = rangeQuerySchema.parse({ metric: "cost_total", fn: "rate", start: END - 6 * 3_600_000, end: END, stepMs: 1_000, windowMs: 61_000, maxPoints: 11_000, aggregate: { op: "sum" } });
    const client = new AbortController();
    const running = runRangeQuery(source, query, { signal: client.signal }).catch((e: unknown) => e);
    await expect.poll(activeStatements, { timeout: 10_000 }).toBeGreaterThan(0);
    client.abort();
    const error = await running;
    expect(error).toBeInstanceOf(QueryCancelledError);
    expect((error as QueryCancelledError).reason).toBe("client-closed");
    await expect.poll(activeStatements, { timeout: 5_000 }).toBe(0);
  });
});
