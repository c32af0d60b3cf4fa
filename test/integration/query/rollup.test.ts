import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CounterBuckets } from "../../../server/query/buckets";
import { fiveMinuteAligned, minMaxFiveMinuteAligned, minuteAligned, PgSampleSource } from "../../../server/query/pg-sample-source";
import { type EvalPlan, planEval, planMinMax } from "../../../server/query/range-plan";
import { type RangeQueryInput, rangeQuerySchema, runRangeQuery } from "../../../server/query/range-query";
import { describeSeries } from "../../../server/recorder/sample";
import { expireRollup, rebuildRollup } from "../../../server/store/rollup";
import { SampleWriter } from "../../../server/store/sample-writer";
import { SeriesStore } from "../../../server/store/series-store";
import { createTimeseriesPool } from "../../../server/store/timeseries-pool";
import { createTestDatabase, type TestDatabase } from "../../support/db";
import { seededRandom as random } from "../../../server/anomaly/synthetic";

const T0 = 1_800_000_000_000;
const SPAN = 8 * 3_600_000;
const LES = ["0.1", "0.5", "1", "+Inf"];
let db: TestDatabase;
let pool: pg.Pool;
let ids: number[] = [];

interface Row {
  id: number;
  t: number;
  v: number;
}

/** Writes rows in shuffled batches (late samples into minutes already rolled up), re-sending some rows. */
async function writeShuffled(writer: SampleWriter, rows: Row[], rand: () => number): Promise<void> {
  const order = rows.map((r, i) => ({ r, k: i + (rand() - 0.5) * 400 }));
  order.sort((a, b) => a.k - b.k);
  let i = 0;
  while (i < order.length) {
    const size = 50 + Math.floor(rand() * 700);
    const batch = order.slice(i, i + size).map((o) => o.r);
    // Duplicates: inside the batch, and replays of rows already stored.
    for (let d = 0; d < 5; d += 1) batch.push(rows[Math.floor(rand() * Math.min(rows.length, i + size))]);
    await writer.write({ seriesIds: batch.map((r) => r.id), ts: batch.map((r) => r.t), values: batch.map((r) => r.v), length: batch.length });
    i += size;
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createTimeseriesPool(db.url, { applicationName: "loopscope-test-rollup", max: 3 });
  const rand = random(11);
  const store = new SeriesStore(pool);
  const descriptors = LES.map((le) => describeSeries("self", { metric: "lat_bucket", labels: { le }, type: "histogram", help: "" }));
  const resolved = await store.resolve(descriptors);
  ids = descriptors.map((d) => resolved.get(d.hash)!);
  const rows: Row[] = [];
  for (const id of ids) {
    let t = T0 + Math.floor(rand() * 20_000);
    let v = 0;
    while (t < T0 + SPAN) {
      // Counters with resets (some right at minute edges), flat stretches, 0.1 steps.
      v = rand() < 0.01 ? Math.floor(rand() * 10) : v + (rand() < 0.3 ? 0 : rand() < 0.5 ? 0.1 : Math.floor(rand() * 50));
      rows.push({ id, t, v });
      const gap = rand() < 0.1 ? 60_000 - (t % 60_000) : 1_000 + Math.floor(rand() * 20_000);
      t += gap + (rand() < 0.005 ? 900_000 : 0);
    }
  }
  await writeShuffled(new SampleWriter(pool), rows.slice(0, Math.floor(rows.length / 2)), rand);
  await writeShuffled(new SampleWriter(pool, { strategy: "staged" }), rows.slice(Math.floor(rows.length / 2)), rand);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

function expectClose(actual: number, expected: number, what: string): void {
  const tolerance = 1e-9 * Math.max(1, Math.abs(expected));
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance);
}

function expectSameBuckets(actual: Map<number, CounterBuckets>, expected: Map<number, CounterBuckets>): number {
  let compared = 0;
  for (const [id, e] of expected) {
    const a = actual.get(id)!;
    for (let j = 0; j < e.count.length; j += 1) {
      expect(a.count[j], `count ${id}[${j}]`).toBe(e.count[j]);
      if (e.count[j] === 0) continue;
      compared += 1;
      for (const key of ["firstT", "lastT", "firstV", "lastV", "increase"] as const) expectClose(a[key][j], e[key][j], `${key} ${id}[${j}]`);
    }
  }
  return compared;
}

const plans: [string, EvalPlan][] = [
  ["5 m buckets, aligned", planEval({ start: T0, end: T0 + SPAN, maxPoints: 97, stepMs: 300_000 })],
  ["607 s buckets, unaligned", planEval({ start: T0 + 12_345, end: T0 + SPAN, maxPoints: 1_000, stepMs: 607_000 })],
  ["10 m step, 25 m window", planEval({ start: T0 + 7_000, end: T0 + SPAN - 3_333, maxPoints: 1_000, stepMs: 600_000, windowMs: 1_500_000 })],
  ["1 h buckets, 8 h window", planEval({ start: T0 + SPAN, end: T0 + SPAN, maxPoints: 2, stepMs: 3_600_000, windowMs: SPAN })],
];

describe("samples_1m rollup", () => {
  it("matches a rebuild from the stored samples after shuffled, duplicated batches", async () => {
    const snapshot = async () => (await pool.query("SELECT * FROM samples_1m ORDER BY series_id, bucket")).rows;
    const maintained = await snapshot();
    expect(maintained.length).toBeGreaterThan(1_000);
    await pool.query("TRUNCATE samples_1m");
    await rebuildRollup(pool, T0 - 3_600_000, T0 + 2 * SPAN);
    expect(await snapshot()).toEqual(maintained);
  });

  it.each(plans)("counter buckets from the rollup equal the raw path (%s)", async (_name, plan) => {
    expect(plan.bucketMs).toBeGreaterThanOrEqual(300_000);
    const raw = await new PgSampleSource(pool, { rollup: false }).counterBuckets(ids, plan);
    const rolled = await new PgSampleSource(pool, { rollup: true, parallelism: 2 }).counterBuckets(ids, plan);
    expect(expectSameBuckets(rolled, raw)).toBeGreaterThan(0);
  });

  it.each<[string, EvalPlan]>([
    ["5 m buckets", planEval({ start: T0, end: T0 + SPAN, maxPoints: 97, stepMs: 300_000 })],
    ["5 m windows 20 m apart", planEval({ start: T0 + 600_000, end: T0 + SPAN, maxPoints: 1_000, stepMs: 1_200_000, windowMs: 300_000 })],
    ["a 30-day window (only the buckets with samples are read)", planEval({ start: T0, end: T0 + SPAN, maxPoints: 1_000, stepMs: 300_000, windowMs: 30 * 86_400_000 })],
    ["1 h buckets, 8 h window", planEval({ start: T0 + SPAN, end: T0 + SPAN, maxPoints: 2, stepMs: 3_600_000, windowMs: SPAN })],
  ])("minute-aligned counter buckets read a series at a time equal the bucket-by-bucket rollup query exactly (%s)", async (_name, plan) => {
    expect(minuteAligned(plan)).toBe(true);
    const perBucket = await new PgSampleSource(pool, { seriesScan: false, parallelism: 2 }).counterBuckets(ids, plan);
    const perSeries = await new PgSampleSource(pool, { parallelism: 2, fiveMinute: false }).counterBuckets(ids, plan);
    expect(perSeries).toEqual(perBucket);
    expect([...perSeries.values()].some((b) => b.count.some((n) => n > 0))).toBe(true);
    const raw = await new PgSampleSource(pool, { rollup: false }).counterBuckets(ids, plan);
    expect(expectSameBuckets(perSeries, raw)).toBeGreaterThan(0);
    // These plans are also whole five-minute blocks: the 5-minute level answers them, equal up
    // to float rounding (these counters step by 0.1, so sums grouped by five minutes round differently).
    expect(fiveMinuteAligned(plan)).toBe(true);
    expect(expectSameBuckets(await new PgSampleSource(pool, { parallelism: 2 }).counterBuckets(ids, plan), raw)).toBeGreaterThan(0);
  });

  it("plans of unaligned edges are not read a series at a time", () => {
    expect(minuteAligned(planEval({ start: T0 + 12_345, end: T0 + SPAN, maxPoints: 1_000, stepMs: 607_000 }))).toBe(false);
    expect(minuteAligned(planEval({ start: T0, end: T0 + SPAN, maxPoints: 1_000, stepMs: 300_000, windowMs: 330_000 }))).toBe(false);
  });

  it.each<[string, RangeQueryInput]>([
    ["rate", { metric: "lat_bucket", fn: "rate", start: T0, end: T0 + SPAN, maxPoints: 90 }],
    ["increase", { metric: "lat_bucket", fn: "increase", start: T0 + 999, end: T0 + SPAN, stepMs: 420_000, windowMs: 900_000 }],
    ["histogram_quantile", { metric: "lat", fn: "histogram_quantile", quantile: 0.9, aggregate: { op: "sum", by: [] }, start: T0, end: T0 + SPAN, maxPoints: 60 }],
  ])("%s range queries equal the raw path", async (_name, input) => {
    const query = rangeQuerySchema.parse(input);
    const raw = await runRangeQuery(new PgSampleSource(pool, { rollup: false }), query);
    const rolled = await runRangeQuery(new PgSampleSource(pool), query);
    expect(rolled.step).toBeGreaterThanOrEqual(300_000);
    expect(rolled.series.map((s) => s.labels)).toEqual(raw.series.map((s) => s.labels));
    let points = 0;
    raw.series.forEach((s, k) => {
      const other = rolled.series[k].points;
      expect(other.map(([t]) => t)).toEqual(s.points.map(([t]) => t));
      s.points.forEach(([, v], i) => {
        expectClose(other[i][1], v, `series ${k} point ${i}`);
      });
      points += s.points.length;
    });
    expect(points).toBeGreaterThan(10);
  });

  it("stays exact after retention deletes samples up to a cutoff inside a minute", async () => {
    const cutoff = T0 + 2 * 3_600_000 + 31_500;
    await pool.query("DELETE FROM samples WHERE ts < $1", [new Date(cutoff)]);
    await expireRollup(pool, cutoff);
    const old = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM samples_1m WHERE bucket < $1", [new Date(cutoff - 60_000)]);
    expect(old.rows[0].n).toBe(0);
    const plan = planEval({ start: T0 + 3_600_000, end: T0 + SPAN, maxPoints: 1_000, stepMs: 300_000, windowMs: 600_000 });
    const raw = await new PgSampleSource(pool, { rollup: false }).counterBuckets(ids, plan);
    const rolled = await new PgSampleSource(pool).counterBuckets(ids, plan);
    expect(expectSameBuckets(rolled, raw)).toBeGreaterThan(0);
  });
});

describe("samples_1m rollup under concurrent writers", () => {
  it("counts every sample when two writers write the same series and minutes at once", async () => {
    const store = new SeriesStore(pool);
    const descriptor = describeSeries("self", { metric: "concurrent_total", labels: {}, type: "counter", help: "" });
    const id = (await store.resolve([descriptor])).get(descriptor.hash)!;
    const writers = [new SampleWriter(pool), new SampleWriter(pool)];
    const base = T0 + 10 * SPAN;
    for (let round = 0; round < 20; round += 1) {
      // Writer k writes the samples at odd/even seconds of the same two minutes.
      await Promise.all(
        writers.map((writer, k) => {
          const ts = Array.from({ length: 60 }, (_, i) => base + round * 120_000 + (2 * i + k) * 1_000 + 1);
          return writer.write({ seriesIds: ts.map(() => id), ts, values: ts.map((t) => (t - base) / 1_000), length: ts.length });
        }),
      );
    }
    const { rows } = await pool.query<{ n: number; inc: number }>("SELECT sum(n)::int AS n, sum(inc) AS inc FROM samples_1m WHERE series_id = $1", [id]);
    expect(rows[0].n).toBe(20 * 120);
    const before = (await pool.query("SELECT * FROM samples_1m WHERE series_id = $1 ORDER BY bucket", [id])).rows;
    await rebuildRollup(pool, base, base + 40 * 60_000 + 1);
    expect((await pool.query("SELECT * FROM samples_1m WHERE series_id = $1 ORDER BY bucket", [id])).rows).toEqual(before);
  });
});

describe("raw min/max buckets from the rollup", () => {
  it("equal the raw path exactly (NaN/±Inf minutes and blocks, ±0 ties, clipped, minute- and five-minute-aligned edges)", async () => {
    const rand = random(5);
    const store = new SeriesStore(pool);
    const descriptors = [0, 1, 2].map((k) => describeSeries("self", { metric: "minmax_gauge", labels: { k: String(k) }, type: "gauge", help: "" }));
    const resolved = await store.resolve(descriptors);
    const gaugeIds = descriptors.map((d) => resolved.get(d.hash)!);
    const base = T0 + 20 * SPAN;
    const special = [0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
    const writer = new SampleWriter(pool);
    for (let chunk = 0; chunk < 12; chunk += 1) {
      const rows: Row[] = [];
      for (const [k, id] of gaugeIds.entries()) {
        // Series 0 on whole seconds (many samples exactly on minute and bucket edges), the others irregular.
        const gap = () => (k === 0 ? 1_000 * (1 + Math.floor(rand() * 3)) : 1_000 + Math.floor(rand() * (k === 2 ? 20_000 : 3_000)));
        for (let t = base + chunk * 600_000 + (k === 0 ? 0 : k + 1); t < base + (chunk + 1) * 600_000; t += gap()) {
          // Many ties at the extremes (the earliest minimum and the latest maximum are
          // returned), 0 and -0 among them, and some non-finite values.
          const zero = rand() < 0.5 ? 0 : -0;
          const v =
            rand() < 0.04
              ? special[Math.floor(rand() * special.length)]
              : k === 2
                ? (rand() - 0.5) * 100
                : rand() < 0.5
                  ? zero
                  : (k === 0 ? -1 : 1) * Math.floor(rand() * 3);
          rows.push({ id, t, v });
        }
      }
      await writer.write({ seriesIds: rows.map((r) => r.id), ts: rows.map((r) => r.t), values: rows.map((r) => r.v), length: rows.length });
    }
    const raw = new PgSampleSource(pool, { rollup: false });
    const rolled = new PgSampleSource(pool, { parallelism: 2 });
    const minuteLevel = new PgSampleSource(pool, { parallelism: 2, fiveMinute: false });
    let compared = 0;
    let fiveMinuteBuckets = 0;
    for (const input of [
      { start: base, end: base + 2 * 3_600_000, maxPoints: 40 },
      { start: base + 12_345, end: base + 2 * 3_600_000 - 7_777, maxPoints: 30 },
      { start: base + 60_000, end: base + 3_600_000, maxPoints: 20, stepMs: 600_000 },
      // 17-minute buckets become 20: whole five-minute blocks but for the clipped ends.
      { start: base + 12_345, end: base + 2 * 3_600_000 - 7_777, maxPoints: 16 },
      { start: base - 3_600_000, end: base + 3_600_000 + 59_999, maxPoints: 3 },
    ]) {
      const plan = planMinMax(input);
      expect(plan.bucketMs).toBeGreaterThanOrEqual(300_000);
      if (minMaxFiveMinuteAligned(plan)) fiveMinuteBuckets += plan.buckets;
      const [a, b, c] = await Promise.all([rolled.minMaxBuckets(gaugeIds, plan), raw.minMaxBuckets(gaugeIds, plan), minuteLevel.minMaxBuckets(gaugeIds, plan)]);
      // Which of 0 and -0 is a bucket's extreme is not defined (it depends on the
      // order the aggregate reads equal values in); JSON does not tell them apart.
      const unsigned = (m: typeof a) => new Map([...m].map(([id, buckets]) => [id, buckets.map((x) => x && { ...x, minV: x.minV + 0, maxV: x.maxV + 0 })]));
      expect(unsigned(a)).toEqual(unsigned(b));
      expect(unsigned(c)).toEqual(unsigned(b));
      for (const buckets of b.values()) compared += buckets.filter((x) => x !== undefined).length;
    }
    expect(compared).toBeGreaterThan(50);
    expect(fiveMinuteBuckets).toBeGreaterThan(10);
    expect(planMinMax({ start: base + 12_345, end: base + 2 * 3_600_000 - 7_777, maxPoints: 16 }).bucketMs).toBe(1_200_000);
    const blocks = await pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM samples_5m WHERE series_id = ANY($1::int[]) AND NOT (abs(min_v) < 'Infinity' AND abs(max_v) < 'Infinity')",
      [gaugeIds],
    );
    expect(blocks.rows[0].n).toBeGreaterThan(2);
    const minutes = await pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM samples_1m WHERE series_id = ANY($1::int[]) AND NOT (abs(min_v) < 'Infinity' AND abs(max_v) < 'Infinity')",
      [gaugeIds],
    );
    expect(minutes.rows[0].n).toBeGreaterThan(5);
  });
});
