import fc from "fast-check";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seededRandom } from "../../../server/anomaly/synthetic";
import { type CounterLevel, PgSampleSource } from "../../../server/query/pg-sample-source";
import { type RangeQueryInput, rangeQuerySchema, runRangeQuery } from "../../../server/query/range-query";
import { describeSeries } from "../../../server/recorder/sample";
import { DAY_MS, dayPartition } from "../../../server/store/day-partitions";
import { RetentionJob } from "../../../server/store/retention";
import { rebuildRollup } from "../../../server/store/rollup";
import { SampleWriter } from "../../../server/store/sample-writer";
import { SeriesStore } from "../../../server/store/series-store";
import { createTimeseriesPool } from "../../../server/store/timeseries-pool";
import { createTestDatabase, type TestDatabase } from "../../support/db";
import { expectedRollup, storedRollup } from "../../support/rollup-reference";

/**
 * The five-minute rollup against the raw samples it summarises (a reference computed in JS
 * from `samples`), and the answers read from it against the 1-minute level and raw samples.
 * Values are whole numbers, so every sum is exact and the levels agree bit for bit.
 */

const DAY0 = Date.UTC(2027, 0, 10); // a UTC midnight
const FIVE_MIN = 300_000;
const dbs: TestDatabase[] = [];
const pools: pg.Pool[] = [];

interface Sample {
  id: number;
  t: number;
  v: number;
}

afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  await Promise.all(dbs.map((d) => d.drop()));
});

async function database(): Promise<{ pool: pg.Pool; ids: number[] }> {
  const db = await createTestDatabase();
  const pool = createTimeseriesPool(db.url, { applicationName: "loopscope-test-rollup-5m", max: 3 });
  dbs.push(db);
  pools.push(pool);
  const descriptors = ["a", "b", "c"].map((k) => describeSeries("self", { metric: "work_total", labels: { k }, type: "counter", help: "" }));
  const resolved = await new SeriesStore(pool).resolve(descriptors);
  return { pool, ids: descriptors.map((d) => resolved.get(d.hash) as number) };
}

async function write(writer: SampleWriter, samples: readonly Sample[], batch = samples.length): Promise<void> {
  for (let i = 0; i < samples.length; i += batch) {
    const part = samples.slice(i, i + batch);
    await writer.write({ seriesIds: part.map((s) => s.id), ts: part.map((s) => s.t), values: part.map((s) => s.v), length: part.length });
  }
}

/** Counters sampled about every 15 s over (from, to], tick-major, with resets (some on block edges) and whole-number steps. */
function counters(ids: readonly number[], from: number, to: number, seed: number): Sample[] {
  const rand = seededRandom(seed);
  const out: Sample[] = [];
  const values = ids.map(() => 0);
  for (let tick = from + 15_000; tick <= to; tick += 15_000) {
    ids.forEach((id, k) => {
      // Some samples exactly on a block's closing edge, the rest jittered inside the tick.
      const t = tick % FIVE_MIN === 0 ? tick : tick - Math.floor(rand() * 14_000);
      values[k] = rand() < 0.02 ? Math.floor(rand() * 5) : values[k] + Math.floor(rand() * (4 + k));
      out.push({ id, t, v: values[k] });
    });
  }
  return out;
}

async function expectBothLevelsExact(pool: pg.Pool): Promise<number> {
  const five = await storedRollup(pool, "samples_5m");
  expect(five).toEqual(await expectedRollup(pool, FIVE_MIN));
  expect(await storedRollup(pool, "samples_1m")).toEqual(await expectedRollup(pool, 60_000));
  return five.length;
}

describe("five-minute rollup (samples_5m)", () => {
  let pool: pg.Pool;
  let ids: number[];
  beforeAll(async () => {
    ({ pool, ids } = await database());
  });

  it("the writer keeps it equal to the raw samples' five-minute summary, across midnight and resets, in its day's partition", async () => {
    await pool.query("TRUNCATE samples, samples_1m, samples_5m");
    await write(new SampleWriter(pool), counters(ids, DAY0 - 2 * 3_600_000, DAY0 + 2 * 3_600_000, 1), 500);
    expect(await expectBothLevelsExact(pool)).toBe(3 * 48);
    // The block (D − 5 min, D] closes the day before; the next opens D's partition.
    const parts = await pool.query<{ bucket: Date; part: string }>(
      "SELECT DISTINCT bucket, tableoid::regclass::text AS part FROM samples_5m WHERE bucket IN ($1, $2) ORDER BY bucket",
      [new Date(DAY0 - FIVE_MIN), new Date(DAY0)],
    );
    expect(parts.rows.map((r) => r.part)).toEqual([dayPartition(DAY0 - DAY_MS).rollup5m.name, dayPartition(DAY0).rollup5m.name]);
  });

  it("late, out-of-order and replayed writes into blocks already rolled up recompute them", async () => {
    await pool.query("TRUNCATE samples, samples_1m, samples_5m");
    const writer = new SampleWriter(pool);
    const early = counters(ids, DAY0, DAY0 + 1_800_000, 2);
    await write(writer, early, 300);
    const before = await storedRollup(pool, "samples_5m");
    // Late samples between stored ones (one a drop, i.e. a reset, one above every value so far)
    // into blocks whose minutes and block were already written.
    const late: Sample[] = [
      { id: ids[0], t: DAY0 + 7 * 60_000 + 1, v: 0 },
      { id: ids[1], t: DAY0 + 12 * 60_000 + 30_001, v: 1_000_000 },
      { id: ids[2], t: DAY0 + 20 * 60_000 + 2, v: 3 },
    ];
    await write(writer, late);
    // A new stretch written newest first, in batches that each reach back into blocks stored by the one before.
    const stretch = counters(ids, DAY0 + 1_800_000, DAY0 + 3_600_000, 3).reverse();
    await write(writer, stretch, 97);
    // Replays of stored rows (skipped) together with new ones.
    await write(writer, [...early.slice(0, 50), { id: ids[0], t: DAY0 + 3_600_000 + 5_000, v: 7 }]);
    const after = await storedRollup(pool, "samples_5m");
    expect(after.filter((r) => r.bucket < DAY0 + 1_800_000)).not.toEqual(before);
    expect(await expectBothLevelsExact(pool)).toBe(3 * 12 + 1);
  });

  it("a rebuild from the minutes gives the rows the writer kept", async () => {
    await pool.query("TRUNCATE samples, samples_1m, samples_5m");
    await write(new SampleWriter(pool), counters(ids, DAY0 - 3_600_000, DAY0 + 3_600_000, 4), 211);
    const kept = await storedRollup(pool, "samples_5m");
    await pool.query("TRUNCATE samples_1m, samples_5m");
    await rebuildRollup(pool, DAY0 - 3_600_000, DAY0 + 3_600_000 + 1);
    expect(await storedRollup(pool, "samples_5m")).toEqual(kept);
  });

  it("any samples, in any order and batching, leave both levels equal to the raw samples' summaries (property)", async () => {
    const sample = fc.record({ s: fc.integer({ min: 0, max: 1 }), t: fc.integer({ min: 1, max: 1_800_000 }), v: fc.integer({ min: 0, max: 20 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(sample, { minLength: 1, maxLength: 120 }), fc.integer({ min: 1, max: 40 }), async (drawn, batch) => {
        await pool.query("TRUNCATE samples, samples_1m, samples_5m");
        await write(
          new SampleWriter(pool),
          drawn.map((d) => ({ id: ids[d.s], t: DAY0 - 900_000 + d.t, v: d.v })),
          batch,
        );
        await expectBothLevelsExact(pool);
      }),
      { numRuns: 40, seed: 18 },
    );
  });
});

describe("queries read from the five-minute rollup", () => {
  let pool: pg.Pool;
  let ids: number[];
  beforeAll(async () => {
    ({ pool, ids } = await database());
    const writer = new SampleWriter(pool);
    const all = counters(ids, DAY0 - 6 * 3_600_000, DAY0 + 6 * 3_600_000, 5);
    // Mostly in order, with a late quarter written afterwards into blocks already rolled up.
    await write(writer, all.filter((_, i) => i % 4 !== 1), 600);
    await write(writer, all.filter((_, i) => i % 4 === 1), 450);
  });

  const queries: [string, RangeQueryInput, CounterLevel][] = [
    ["rate, chosen step (12 h at 60 points: 15 min)", { metric: "work_total", fn: "rate", start: DAY0 - 6 * 3_600_000, end: DAY0 + 6 * 3_600_000, maxPoints: 60 }, "5m"],
    [
      "increase, 15-min step, 1-h window",
      { metric: "work_total", fn: "increase", start: DAY0 - 3 * 3_600_000, end: DAY0 + 3 * 3_600_000, stepMs: 900_000, windowMs: 3_600_000 },
      "5m",
    ],
    ["rate summed, 20-min windows 1 h apart", { metric: "work_total", fn: "rate", aggregate: { op: "sum", by: [] }, start: DAY0 - 3 * 3_600_000, end: DAY0 + 3 * 3_600_000, stepMs: 3_600_000, windowMs: 1_200_000 }, "5m"],
    ["an explicit 11-min step is kept (1-minute level)", { metric: "work_total", fn: "rate", start: DAY0 - 3 * 3_600_000, end: DAY0 + 3 * 3_600_000, stepMs: 660_000 }, "1m"],
    ["a start off the 5-min grid (1-minute level)", { metric: "work_total", fn: "increase", start: DAY0 - 3 * 3_600_000 + 60_000, end: DAY0 + 3 * 3_600_000, stepMs: 900_000 }, "1m"],
  ];

  it.each(queries)("%s: the same answer from the 5-minute level, the 1-minute level and raw samples", async (_name, input, level) => {
    const query = rangeQuerySchema.parse(input);
    const run = async (options: { fiveMinute?: boolean; rollup?: boolean }) => {
      const levels = new Set<CounterLevel>();
      const result = await runRangeQuery(new PgSampleSource(pool, { ...options, onCounterLevel: (l) => levels.add(l) }), query);
      return { result, levels: [...levels] };
    };
    const shipped = await run({});
    const minutes = await run({ fiveMinute: false });
    const raw = await run({ rollup: false });
    expect(shipped.levels).toEqual([level]);
    expect(minutes.levels).toEqual(level === "5m" ? ["1m"] : [level]);
    expect(raw.levels).toEqual(["raw"]);
    expect(shipped.result).toEqual(minutes.result);
    expect(shipped.result).toEqual(raw.result);
    const points = shipped.result.series.reduce((n, s) => n + s.points.length, 0);
    expect(points).toBeGreaterThan(5);
    if (input.stepMs === undefined) expect(shipped.result.step).toBe(900_000);
    else expect(shipped.result.step).toBe(input.stepMs);
  });

  it("after retention drops days, their 5-minute partitions are gone and the rest still matches the samples", async () => {
    const now = DAY0 + 2 * DAY_MS + 3_600_000;
    const run = await new RetentionJob({ pool, retentionMs: DAY_MS + 3_600_000 + 1, now: () => now }).runOnce();
    expect(run.droppedDays).toContain(DAY0 - DAY_MS);
    const { rows } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_class WHERE relname = $1", [dayPartition(DAY0 - DAY_MS).rollup5m.name]);
    expect(rows[0].n).toBe(0);
    expect(await expectBothLevelsExact(pool)).toBeGreaterThan(0);
    const query = rangeQuerySchema.parse({ metric: "work_total", fn: "increase", start: DAY0 - 6 * 3_600_000, end: DAY0 + 6 * 3_600_000, stepMs: 900_000 });
    const a = await runRangeQuery(new PgSampleSource(pool), query);
    expect(a).toEqual(await runRangeQuery(new PgSampleSource(pool, { rollup: false }), query));
    expect(a.series.every((s) => s.points.every(([t]) => t > DAY0))).toBe(true);
  });
});
