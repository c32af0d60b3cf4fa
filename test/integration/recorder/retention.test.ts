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
  it("drops the day partitions older than the retention and keeps the rest", async () => {
    const n = 12_000;
    // Two series: one sample every 144 s from 10 days ago to now.
    const ids: number[] = [];
    const ts: number[] = [];
    for (let i = 0; i < n; i += 1) {
      ids.push(1 + (i % 2));
      ts.push(NOW - 10 * DAY + Math.floor(i / 2) * 144_000);
    }
    await new SampleWriter(pool).write({ seriesIds: ids, ts, values: ts, length: n });
    const job = new RetentionJob({ pool, retentionMs: 7 * DAY, now: () => NOW });
    const run = await job.runOnce();
    expect(run.droppedDays.length).toBeGreaterThanOrEqual(2);
    // Whole days go: what is left starts within one day before the cutoff.
    const left = await pool.query("SELECT count(*)::int AS n, min(ts) AS oldest FROM samples");
    const oldest = new Date(left.rows[0].oldest).getTime();
    expect(oldest).toBeLessThanOrEqual(NOW - 7 * DAY);
    expect(oldest).toBeGreaterThan(NOW - 8 * DAY);
    expect(left.rows[0].n).toBe(ts.filter((t) => t >= oldest).length);
    expect((await job.runOnce()).droppedDays).toEqual([]);
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
