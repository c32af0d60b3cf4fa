import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { PgSampleSource } from "../../../server/query/pg-sample-source";
import { rangeQuerySchema, runRangeQuery } from "../../../server/query/range-query";
import { describeSeries } from "../../../server/recorder/sample";
import { DAY_MS, dayPartition } from "../../../server/store/day-partitions";
import { defaultMigrationsDir, migrate } from "../../../server/store/migrate";
import { dayPartitions, samplesLayout } from "../../../server/store/partition-store";
import { RetentionJob } from "../../../server/store/retention";
import { REBUILD_SQL } from "../../../server/store/rollup";
import { SampleWriter } from "../../../server/store/sample-writer";
import { SeriesStore } from "../../../server/store/series-store";
import { createTimeseriesPool } from "../../../server/store/timeseries-pool";
import { createTestDatabase, type TestDatabase } from "../../support/db";
import { expectedRollup, storedRollup } from "../../support/rollup-reference";

const DAY0 = Date.UTC(2027, 0, 10); // a UTC midnight
const PARTITIONING_MIGRATION = "20261202100000_samples_partitioned_by_day";
const dbs: TestDatabase[] = [];
const pools: pg.Pool[] = [];

afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  await Promise.all(dbs.map((d) => d.drop()));
});

async function database(options: { migrate?: boolean } = {}): Promise<{ db: TestDatabase; pool: pg.Pool }> {
  const db = await createTestDatabase(options);
  const pool = createTimeseriesPool(db.url, { applicationName: "loopscope-test-partitions", max: 3 });
  dbs.push(db);
  pools.push(pool);
  return { db, pool };
}

/**
 * Turns a migrated database's samples, samples_1m and samples_5m back into plain tables (the layout
 * before the partitioning migration, and what a database moved to TimescaleDB or Citus
 * looks like to Loopscope): the reference the partitioned answers are compared with.
 */
async function makePlain(pool: pg.Pool): Promise<void> {
  await pool.query(`
    DROP TABLE samples, samples_1m, samples_5m;
    CREATE TABLE samples (series_id integer NOT NULL, ts timestamptz(3) NOT NULL, value double precision NOT NULL, CONSTRAINT samples_pkey PRIMARY KEY (series_id, ts));
    CREATE INDEX samples_ts_brin ON samples USING brin (ts);
    CREATE TABLE samples_1m (series_id integer NOT NULL, bucket timestamptz(3) NOT NULL, n integer NOT NULL, first_ts timestamptz(3) NOT NULL,
      first_v double precision NOT NULL, last_ts timestamptz(3) NOT NULL, last_v double precision NOT NULL, inc double precision NOT NULL,
      min_v double precision NOT NULL, max_v double precision NOT NULL, CONSTRAINT samples_1m_pkey PRIMARY KEY (series_id, bucket));
    CREATE TABLE samples_5m (LIKE samples_1m INCLUDING ALL);`);
}

interface Rows {
  seriesIds: number[];
  ts: number[];
  values: number[];
  length: number;
}

/** Counters and a histogram sampled every 15 s over [from, to], with resets, some samples right on midnight. */
function counterRows(ids: readonly number[], from: number, to: number): Rows {
  const rows: Rows = { seriesIds: [], ts: [], values: [], length: 0 };
  ids.forEach((id, k) => {
    let v = 0;
    for (let t = from; t <= to; t += 15_000) {
      v = (t / 15_000) % 997 === k ? 1 : v + ((t / 15_000) % (3 + k)) + 0.5 * k;
      rows.seriesIds.push(id);
      rows.ts.push(t);
      rows.values.push(v);
    }
  });
  rows.length = rows.ts.length;
  return rows;
}

async function seriesIds(pool: pg.Pool): Promise<number[]> {
  const store = new SeriesStore(pool);
  const descriptors = ["0.1", "1", "+Inf"].map((le) => describeSeries("self", { metric: "req_duration_seconds_bucket", labels: { le, job: "x" }, type: "histogram", help: "" }));
  const resolved = await store.resolve(descriptors);
  return descriptors.map((d) => resolved.get(d.hash) as number);
}

async function writeInBatches(pool: pg.Pool, rows: Rows, size = 5_000): Promise<void> {
  const writer = new SampleWriter(pool);
  for (let i = 0; i < rows.length; i += size) {
    const end = Math.min(rows.length, i + size);
    await writer.write({ seriesIds: rows.seriesIds.slice(i, end), ts: rows.ts.slice(i, end), values: rows.values.slice(i, end), length: end - i });
  }
}

describe("time-partitioned samples", () => {
  it("the migration moves existing samples and rollup rows into day partitions", async () => {
    const { db, pool } = await database({ migrate: false });
    // The migrations before partitioning, into a folder of their own.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-migrations-"));
    try {
      for (const name of fs.readdirSync(defaultMigrationsDir())) {
        if (name >= PARTITIONING_MIGRATION) continue;
        fs.cpSync(path.join(defaultMigrationsDir(), name), path.join(dir, name), { recursive: true });
      }
      await migrate(db.url, dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(await samplesLayout(pool)).toBe("plain");
    const ids = await seriesIds(pool);
    // Three days and a bit, across two midnights, as the writer of that schema left them:
    // the samples and their 1-minute rollup (there was no samples_5m).
    const rows = counterRows(ids, DAY0 - 3_600_000, DAY0 + 2 * DAY_MS + 3_600_000);
    await pool.query("INSERT INTO samples (series_id, ts, value) SELECT id, to_timestamp(t / 1000.0), v FROM unnest($1::int[], $2::float8[], $3::float8[]) AS r(id, t, v)", [
      rows.seriesIds,
      rows.ts,
      rows.values,
    ]);
    await pool.query(REBUILD_SQL, [new Date(DAY0 - DAY_MS), new Date(DAY0 + 3 * DAY_MS)]);
    const before = (await pool.query("SELECT series_id, ts, value FROM samples ORDER BY 1, 2")).rows;
    const rollupBefore = (await pool.query("SELECT * FROM samples_1m ORDER BY 1, 2")).rows;

    await migrate(db.url);
    expect(await samplesLayout(pool)).toBe("partitioned");
    expect((await pool.query("SELECT series_id, ts, value FROM samples ORDER BY 1, 2")).rows).toEqual(before);
    expect((await pool.query("SELECT * FROM samples_1m ORDER BY 1, 2")).rows).toEqual(rollupBefore);
    // The 5-minute rollup is backfilled from the minutes: it summarises the samples exactly.
    expect(await storedRollup(pool, "samples_5m")).toEqual(await expectedRollup(pool, 300_000));
    const days = await dayPartitions(pool);
    for (const day of [DAY0 - DAY_MS, DAY0, DAY0 + DAY_MS, DAY0 + 2 * DAY_MS]) expect(days).toContain(day);
    // Each row sits in the partition of its day: a sample stamped exactly at midnight closes the day before.
    const midnight = await pool.query<{ part: string }>("SELECT tableoid::regclass::text AS part FROM samples WHERE ts = $1 LIMIT 1", [new Date(DAY0)]);
    expect(midnight.rows[0].part).toBe(dayPartition(DAY0 - DAY_MS).samples.name);
    const rollupAtMidnight = await pool.query<{ part: string }>("SELECT tableoid::regclass::text AS part FROM samples_1m WHERE bucket = $1 LIMIT 1", [
      new Date(DAY0 - 60_000),
    ]);
    expect(rollupAtMidnight.rows[0].part).toBe(dayPartition(DAY0 - DAY_MS).rollup.name);
    // Writes to a day without partitions make them.
    const later = counterRows(ids, DAY0 + 40 * DAY_MS, DAY0 + 40 * DAY_MS + 60_000);
    await writeInBatches(pool, later);
    expect(await dayPartitions(pool)).toContain(DAY0 + 39 * DAY_MS);
    expect(await dayPartitions(pool)).toContain(DAY0 + 40 * DAY_MS);
  });

  it("queries across partition boundaries give the same answers as the unpartitioned table", async () => {
    const partitioned = await database();
    const plain = await database();
    await makePlain(plain.pool);
    expect(await samplesLayout(partitioned.pool)).toBe("partitioned");
    expect(await samplesLayout(plain.pool)).toBe("plain");
    const from = DAY0 - 5 * 3_600_000;
    const to = DAY0 + DAY_MS + 5 * 3_600_000;
    for (const { pool } of [partitioned, plain]) await writeInBatches(pool, counterRows(await seriesIds(pool), from, to), 3_001);
    expect((await dayPartitions(partitioned.pool)).filter((d) => d >= DAY0 - DAY_MS && d <= DAY0 + DAY_MS)).toHaveLength(3);

    const queries = [
      { metric: "req_duration_seconds_bucket", fn: "raw", start: DAY0 - 600_000, end: DAY0 + 600_000, stepMs: 15_000 },
      { metric: "req_duration_seconds_bucket", fn: "rate", start: from, end: to, stepMs: 300_000, windowMs: 600_000 },
      { metric: "req_duration_seconds_bucket", fn: "increase", start: DAY0 - 3_600_000, end: DAY0 + DAY_MS + 3_600_000, stepMs: 3_600_000, windowMs: 7_200_000 },
      { metric: "req_duration_seconds_bucket", fn: "rate", start: DAY0 + 7_777, end: DAY0 + DAY_MS - 1, maxPoints: 200 },
      { metric: "req_duration_seconds_bucket", fn: "histogram_quantile", quantile: 0.9, start: from, end: to, stepMs: 1_800_000, windowMs: 3_600_000 },
      { metric: "req_duration_seconds_bucket", fn: "raw", start: from, end: to, maxPoints: 300 },
    ];
    let points = 0;
    for (const input of queries) {
      const query = rangeQuerySchema.parse(input);
      for (const rollup of [true, false]) {
        const a = await runRangeQuery(new PgSampleSource(partitioned.pool, { rollup }), query);
        const b = await runRangeQuery(new PgSampleSource(plain.pool, { rollup }), query);
        expect(a, `${input.fn} ${input.start}..${input.end} rollup=${rollup}`).toEqual(b);
        points += a.series.reduce((n, s) => n + s.points.length, 0);
      }
    }
    expect(points).toBeGreaterThan(1_000);
  });

  it("retention drops whole day partitions, samples and rollup together, and keeps the rest untouched", async () => {
    const { pool } = await database();
    const ids = await seriesIds(pool);
    const now = DAY0 + 10 * DAY_MS + 6 * 3_600_000;
    const rows = counterRows(ids, DAY0 - 60_000, now);
    await writeInBatches(pool, rows, 20_000);
    const retentionMs = 7 * DAY_MS;
    const cutoff = now - retentionMs;
    const job = new RetentionJob({ pool, retentionMs, now: () => now });
    const run = await job.runOnce();
    expect(run.layout).toBe("partitioned");
    // Every day whose last possible sample (its closing midnight) is before the cutoff, and only those.
    const expiredDays = [DAY0 - DAY_MS, DAY0, DAY0 + DAY_MS, DAY0 + 2 * DAY_MS];
    // (The empty partitions the migration made around the real today are older still, and go too.)
    expect(run.droppedDays.filter((d) => d >= DAY0 - DAY_MS)).toEqual(expiredDays);
    for (const day of run.droppedDays) expect(day + DAY_MS).toBeLessThan(cutoff);
    const left = await dayPartitions(pool);
    for (const day of expiredDays) expect(left).not.toContain(day);
    expect(left).toContain(DAY0 + 3 * DAY_MS);
    // Partitions made ahead of now.
    for (let d = 1; d <= 3; d += 1) expect(left).toContain(DAY0 + (10 + d) * DAY_MS);
    // Exactly the samples of the dropped days are gone; the boundary day keeps all of its samples.
    const keptFrom = DAY0 + 3 * DAY_MS;
    const expected = rows.ts.filter((t) => t > keptFrom).length;
    const { rows: counts } = await pool.query<{ n: number; oldest: Date }>("SELECT count(*)::int AS n, min(ts) AS oldest FROM samples");
    expect(counts[0].n).toBe(expected);
    expect(counts[0].oldest.getTime()).toBe(keptFrom + 15_000);
    expect(counts[0].oldest.getTime()).toBeLessThan(cutoff);
    // The rollup still summarises exactly the stored samples.
    const stored = (await pool.query("SELECT * FROM samples_1m ORDER BY series_id, bucket")).rows;
    await pool.query("DELETE FROM samples_1m");
    await pool.query(REBUILD_SQL, [new Date(DAY0 - DAY_MS), new Date(now + 60_000)]);
    expect((await pool.query("SELECT * FROM samples_1m ORDER BY series_id, bucket")).rows).toEqual(stored);
    expect(await storedRollup(pool, "samples_5m")).toEqual(await expectedRollup(pool, 300_000));
    for (const day of expiredDays) {
      const { rows: parts } = await pool.query("SELECT 1 FROM pg_class WHERE relname = ANY($1::text[])", [[dayPartition(day).rollup.name, dayPartition(day).rollup5m.name]]);
      expect(parts).toEqual([]);
    }
    // Nothing else expires on a second run.
    expect((await job.runOnce()).droppedDays).toEqual([]);
  });

  it("on a plain samples table, retention deletes the expired rows in batches", async () => {
    const { pool } = await database();
    await makePlain(pool);
    // The cutoff (NOW − 7 days) falls inside a minute and inside a five-minute block, both of which lose samples.
    const NOW = 1_800_000_140_000 + 7_000;
    const n = 12_000;
    const ids: number[] = [];
    const ts: number[] = [];
    for (let i = 0; i < n; i += 1) {
      ids.push(1 + (i % 2));
      ts.push(NOW - 10 * DAY_MS + Math.floor(i / 2) * 144_000);
    }
    await new SampleWriter(pool).write({ seriesIds: ids, ts, values: ts, length: n });
    const expectedKept = ts.filter((t) => t >= NOW - 7 * DAY_MS).length;
    const job = new RetentionJob({ pool, retentionMs: 7 * DAY_MS, batchSize: 1_000, pauseMs: 0, now: () => NOW });
    const run = await job.runOnce();
    expect(run.layout).toBe("plain");
    expect(run.deleted).toBe(n - expectedKept);
    expect(run.batches).toBeGreaterThan(3);
    const left = await pool.query("SELECT count(*)::int AS n, min(ts) AS oldest FROM samples");
    expect(left.rows[0].n).toBe(expectedKept);
    expect(new Date(left.rows[0].oldest).getTime()).toBeGreaterThanOrEqual(NOW - 7 * DAY_MS);
    // Both rollups summarise exactly what is left (the cutoff's minute and block recomputed).
    expect(await storedRollup(pool, "samples_1m")).toEqual(await expectedRollup(pool, 60_000));
    expect(await storedRollup(pool, "samples_5m")).toEqual(await expectedRollup(pool, 300_000));
    expect((await job.runOnce()).deleted).toBe(0);
  });
});
