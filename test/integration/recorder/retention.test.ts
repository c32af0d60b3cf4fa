import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseSize, RetentionJob } from "../../../server/store/retention";
import { SampleWriter } from "../../../server/store/sample-writer";
import { createTimeseriesPool } from "../../../server/store/timeseries-pool";
import { createTestDatabase, type TestDatabase } from "../../support/db";

let db: TestDatabase;
let pool: pg.Pool;
const NOW = 1_800_000_000_000;
const DAY = 86_400_000;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createTimeseriesPool(db.url, { applicationName: "loopscope-test-retention", max: 2 });
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

describe("retention", () => {
  it("deletes samples older than the retention in batches and keeps the rest", async () => {
    const n = 12_000;
    // Two series: one sample a minute from 10 days ago to now.
    const ids: number[] = [];
    const ts: number[] = [];
    for (let i = 0; i < n; i += 1) {
      ids.push(1 + (i % 2));
      ts.push(NOW - 10 * DAY + Math.floor(i / 2) * 144_000);
    }
    await new SampleWriter(pool).write({ seriesIds: ids, ts, values: ts, length: n });
    const expectedKept = ts.filter((t) => t >= NOW - 7 * DAY).length;
    const job = new RetentionJob({ pool, retentionMs: 7 * DAY, batchSize: 1_000, pauseMs: 0, now: () => NOW });
    const run = await job.runOnce();
    expect(run.deleted).toBe(n - expectedKept);
    expect(run.batches).toBeGreaterThan(3);
    const left = await pool.query("SELECT count(*)::int AS n, min(ts) AS oldest FROM samples");
    expect(left.rows[0].n).toBe(expectedKept);
    expect(new Date(left.rows[0].oldest).getTime()).toBeGreaterThanOrEqual(NOW - 7 * DAY);
    expect((await job.runOnce()).deleted).toBe(0);
  });

  it("reports the database and samples table size", async () => {
    await pool.query("ANALYZE samples");
    const size = await databaseSize(pool);
    expect(size.databaseBytes).toBeGreaterThan(size.samplesTotalBytes);
    expect(size.samplesTotalBytes).toBeGreaterThanOrEqual(size.samplesTableBytes + size.samplesIndexBytes);
    expect(size.estimatedSamples).toBeGreaterThan(0);
    expect(size.bytesPerSample).toBeGreaterThan(10);
  });
});
