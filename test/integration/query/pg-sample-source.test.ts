import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sample } from "../../../server/query/buckets";
import { PgSampleSource, splitWork } from "../../../server/query/pg-sample-source";
import { planEval, planMinMax } from "../../../server/query/range-plan";
import { rangeQuerySchema, type RangeQueryInput, runRangeQuery } from "../../../server/query/range-query";
import { MemorySampleSource } from "../../../server/query/sample-source";
import { SampleWriter } from "../../../server/store/sample-writer";
import { SeriesStore } from "../../../server/store/series-store";
import { createTimeseriesPool, QUERY_SESSION_SETTINGS } from "../../../server/store/timeseries-pool";
import { describeSeries } from "../../../server/recorder/sample";
import { createTestDatabase, type TestDatabase } from "../../support/db";
import { seededRandom as random } from "../../../server/anomaly/synthetic";

const T0 = 1_800_000_000_000;
const SPAN = 6 * 3_600_000;
let db: TestDatabase;
let pool: pg.Pool;
let queryPool: pg.Pool;
const memory = new MemorySampleSource();
const idMap = new Map<number, number>(); // memory id → database id
const rawSamples = new Map<string, Sample[]>(); // label s → samples

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createTimeseriesPool(db.url, { applicationName: "loopscope-test-sql", max: 3 });
  queryPool = createTimeseriesPool(db.url, { applicationName: "loopscope-test-sql-q", max: 3, settings: QUERY_SESSION_SETTINGS });
  const rand = random(7);
  const series = new SeriesStore(pool);
  const writer = new SampleWriter(pool);
  for (let s = 0; s < 7; s += 1) {
    const samples: Sample[] = [];
    let t = T0 + Math.floor(rand() * 20_000);
    let v = 0;
    while (t < T0 + SPAN) {
      // Irregular spacing (1–29 s, with gaps), counters with occasional resets and flat
      // stretches; series 6 grows by 0.1 (inexact in binary) so equal values across a
      // bucket edge must not look like a reset.
      if (s === 6) v = rand() < 0.5 ? v : v + 0.1;
      else v = rand() < 0.01 ? Math.floor(rand() * 10) : v + Math.floor(rand() * 50);
      samples.push({ t, v: s < 4 || s === 6 ? v : Math.round(Math.sin(t / 1e6) * 1000) / 10 });
      t += 1_000 + Math.floor(rand() * 28_000) + (rand() < 0.005 ? 600_000 : 0);
    }
    const kind = s < 4 || s === 6 ? "counter" : "gauge";
    const labels = { s: String(s), kind };
    const memoryId = memory.add("mixed", labels, samples, kind);
    const descriptor = describeSeries("self", { metric: "mixed", labels, type: kind, help: "" });
    const id = (await series.resolve([descriptor])).get(descriptor.hash)!;
    idMap.set(memoryId, id);
    rawSamples.set(String(s), samples);
    await writer.write({ seriesIds: samples.map(() => id), ts: samples.map((x) => x.t), values: samples.map((x) => x.v), length: samples.length });
  }
});

afterAll(async () => {
  await queryPool?.end();
  await pool?.end();
  await db?.drop();
});

/** Bucket arrays over all `n` buckets of the plan: a span held from `offset` is placed there, empty elsewhere. */
function dense<T extends { offset?: number }>(buckets: T, n: number): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  for (const [key, values] of Object.entries(buckets) as [string, unknown][]) {
    if (!(values instanceof Float64Array)) continue;
    out[key] = new Float64Array(n);
    out[key].set(values, buckets.offset ?? 0);
  }
  return out;
}

function expectSameArrays(actual: Record<string, Float64Array>, expected: Record<string, Float64Array>) {
  for (const key of Object.keys(expected)) {
    const a = Array.from(actual[key]);
    const e = Array.from(expected[key]);
    expect(a.length).toBe(e.length);
    for (let i = 0; i < e.length; i += 1) {
      if (expected.count[i] === 0) continue;
      expect(a[i], `${key}[${i}]`).toBeCloseTo(e[i], 6);
    }
  }
}

const plans = [
  { start: T0 + 600_000, end: T0 + SPAN, maxPoints: 200 },
  { start: T0 + 123_457, end: T0 + SPAN - 99_999, maxPoints: 1_000, windowMs: 95_000 },
  { start: T0, end: T0 + 3_600_000, maxPoints: 50, stepMs: 60_000, windowMs: 300_000 },
];

describe("SQL aggregates equal the in-memory reference", () => {
  for (const parallelism of [1, 3]) {
    it(`per-bucket aggregates, parallelism ${parallelism}`, async () => {
      // Parallelism 3 also runs with the query session settings the app uses.
      const source = new PgSampleSource(parallelism === 1 ? pool : queryPool, { parallelism });
      const memoryIds = [...idMap.keys()];
      const dbIds = memoryIds.map((id) => idMap.get(id)!);
      for (const input of plans) {
        const plan = planEval(input);
        const [pgCounter, memCounter] = await Promise.all([source.counterBuckets(dbIds, plan), memory.counterBuckets(memoryIds, plan)]);
        const [pgReg, memReg] = await Promise.all([source.regressionBuckets(dbIds, plan), memory.regressionBuckets(memoryIds, plan)]);
        const [pgVal, memVal] = await Promise.all([source.valueBuckets(dbIds, plan), memory.valueBuckets(memoryIds, plan)]);
        for (const id of memoryIds) {
          const dbId = idMap.get(id)!;
          expect(Array.from(dense(pgCounter.get(dbId)!, plan.buckets).count)).toEqual(Array.from(memCounter.get(id)!.count));
          expectSameArrays(dense(pgCounter.get(dbId)!, plan.buckets), dense(memCounter.get(id)!, plan.buckets));
          expectSameArrays(dense(pgReg.get(dbId)!, plan.buckets), dense(memReg.get(id)!, plan.buckets));
          expectSameArrays({ ...pgVal.get(dbId)! }, { ...memVal.get(id)! });
        }
        const minMaxPlan = planMinMax(input);
        const [pgMinMax, memMinMax] = await Promise.all([source.minMaxBuckets(dbIds, minMaxPlan), memory.minMaxBuckets(memoryIds, minMaxPlan)]);
        for (const id of memoryIds) expect(pgMinMax.get(idMap.get(id)!)).toEqual(memMinMax.get(id));
      }
    });
  }

  it("a window far wider than the data reads and holds only the buckets where samples are", async () => {
    const source = new PgSampleSource(queryPool, { parallelism: 2 });
    const dbIds = [...idMap.values()];
    // A day at 1-minute steps with a 30-day window: 44,640 buckets per series, samples in 360 of them.
    const plan = planEval({ start: T0, end: T0 + 86_400_000, maxPoints: 11_000, stepMs: 60_000, windowMs: 30 * 86_400_000 });
    expect(plan.buckets).toBeGreaterThan(40_000);
    const counters = await source.counterBuckets(dbIds, plan);
    for (const b of counters.values()) {
      expect(b.offset).toBeGreaterThan(40_000);
      expect(b.count.length).toBeLessThanOrEqual(SPAN / 60_000 + 1);
    }
    const memoryIds = [...idMap.keys()];
    const memCounters = await memory.counterBuckets(memoryIds, plan);
    for (const id of memoryIds) expect(Array.from(dense(counters.get(idMap.get(id)!)!, plan.buckets).count)).toEqual(Array.from(memCounters.get(id)!.count));
    // Nothing in range: nothing held.
    const before = planEval({ start: T0 - 40 * 86_400_000, end: T0 - 39 * 86_400_000, maxPoints: 11_000, stepMs: 60_000, windowMs: 86_400_000 });
    for (const b of (await source.regressionBuckets(dbIds, before)).values()) expect(b.count.length).toBe(0);
    // And the queries over it answer as the in-memory reference does.
    for (const fn of ["increase", "rate"] as const) {
      const q = rangeQuerySchema.parse({ metric: "mixed", start: T0, end: T0 + 86_400_000, stepMs: 60_000, windowMs: 30 * 86_400_000, maxPoints: 11_000, fn });
      const [fromDb, fromMemory] = await Promise.all([runRangeQuery(source, q), runRangeQuery(memory, q)]);
      expect(fromDb.series.map((s) => s.labels)).toEqual(fromMemory.series.map((s) => s.labels));
      fromDb.series.forEach((s, i) => {
        expect(s.points.length).toBe(fromMemory.series[i].points.length);
        s.points.forEach(([t, v], k) => {
          expect(t).toBe(fromMemory.series[i].points[k][0]);
          expect(v).toBeCloseTo(fromMemory.series[i].points[k][1], 6);
        });
      });
    }
    // deriv against the least-squares slope of the raw samples in each window (centred, so exact to rounding):
    // a window whose start lies a month before the samples is where sums about a far origin lose digits.
    const q = rangeQuerySchema.parse({ metric: "mixed", matchers: [{ name: "kind", op: "=", value: "gauge" }], start: T0, end: T0 + 86_400_000, stepMs: 60_000, windowMs: 30 * 86_400_000, maxPoints: 11_000, fn: "deriv" });
    const result = await runRangeQuery(source, q);
    expect(result.series.length).toBeGreaterThan(0);
    for (const s of result.series) {
      const samples = rawSamples.get(s.labels.s) ?? [];
      for (const [t, v] of s.points.filter((_, k) => k % 97 === 0)) {
        const inWindow = samples.filter((x) => x.t > t - 30 * 86_400_000 && x.t <= t);
        const mx = inWindow.reduce((a, x) => a + x.t / 1000, 0) / inWindow.length;
        const my = inWindow.reduce((a, x) => a + x.v, 0) / inWindow.length;
        const cov = inWindow.reduce((a, x) => a + (x.t / 1000 - mx) * (x.v - my), 0);
        const variance = inWindow.reduce((a, x) => a + (x.t / 1000 - mx) ** 2, 0);
        expect(Math.abs(v - cov / variance)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(cov / variance)));
      }
    }
  });

  it("whole range queries give the same series and points", async () => {
    const source = new PgSampleSource(queryPool, { parallelism: 2 });
    const queries: RangeQueryInput[] = [
      { metric: "mixed", matchers: [{ name: "kind", op: "=", value: "counter" }], start: T0, end: T0 + SPAN, fn: "rate", maxPoints: 300 },
      { metric: "mixed", start: T0, end: T0 + SPAN, fn: "increase", windowMs: 600_000, aggregate: { op: "sum", by: ["kind"] } },
      { metric: "mixed", matchers: [{ name: "s", op: "=~", value: "[45]" }], start: T0, end: T0 + SPAN, fn: "deriv", maxPoints: 100 },
      { metric: "mixed", start: T0, end: T0 + SPAN, maxPoints: 500 },
      { metric: "mixed", start: T0, end: T0 + SPAN, maxPoints: 500, aggregate: { op: "max", by: ["kind"] } },
    ];
    for (const input of queries) {
      const q = rangeQuerySchema.parse(input);
      const [fromDb, fromMemory] = await Promise.all([runRangeQuery(source, q), runRangeQuery(memory, q)]);
      expect(fromDb.step).toBe(fromMemory.step);
      expect(fromDb.series.map((s) => s.labels)).toEqual(fromMemory.series.map((s) => s.labels));
      fromDb.series.forEach((s, i) => {
        const expected = fromMemory.series[i].points;
        expect(s.points.map(([t]) => t)).toEqual(expected.map(([t]) => t));
        s.points.forEach(([, v], k) => {
          expect(v).toBeCloseTo(expected[k][1], 6);
        });
      });
      expect(fromDb.series.length).toBeGreaterThan(0);
    }
  });
});

describe("findSeries with required labels", () => {
  it("returns only the series holding every pair, from Postgres as from memory", async () => {
    const source = new PgSampleSource(queryPool);
    const ids = async (having?: Record<string, string>) => (await source.findSeries(["mixed"], having)).map((s) => s.labels.s).sort();
    const memoryIds = async (having?: Record<string, string>) => (await memory.findSeries(["mixed"], having)).map((s) => s.labels.s).sort();
    expect(await ids()).toEqual(["0", "1", "2", "3", "4", "5", "6"]);
    expect(await ids({ kind: "counter" })).toEqual(["0", "1", "2", "3", "6"]);
    expect(await ids({ kind: "counter", s: "6" })).toEqual(["6"]);
    expect(await ids({ kind: "gauge", s: "6" })).toEqual([]);
    expect(await ids({ missing: "x" })).toEqual([]);
    const cases: (Record<string, string> | undefined)[] = [undefined, { missing: "x" }, { kind: "counter" }, { kind: "counter", s: "6" }, { kind: "gauge", s: "6" }];
    for (const having of cases) expect(await memoryIds(having)).toEqual(await ids(having));
  });

  it("range queries with = matchers find the same series as before (empty values match a missing label)", async () => {
    const source = new PgSampleSource(queryPool);
    const labelsOf = async (matchers: RangeQueryInput["matchers"]) =>
      (await runRangeQuery(source, rangeQuerySchema.parse({ metric: "mixed", matchers, fn: "rate", start: T0, end: T0 + SPAN, maxPoints: 20 }))).series.map((s) => s.labels.s);
    expect(await labelsOf([{ name: "kind", op: "=", value: "counter" }])).toEqual(["0", "1", "2", "3", "6"]);
    expect(await labelsOf([{ name: "kind", op: "=", value: "counter" }, { name: "s", op: "=~", value: "[0-2]" }])).toEqual(["0", "1", "2"]);
    expect(await labelsOf([{ name: "kind", op: "=", value: "counter" }, { name: "missing", op: "=", value: "" }])).toEqual(["0", "1", "2", "3", "6"]);
    expect(await labelsOf([{ name: "s", op: "=", value: "1" }, { name: "s", op: "=", value: "2" }])).toEqual([]);
  });
});

describe("splitWork", () => {
  it("covers every (series, bucket) exactly once", () => {
    for (const [n, buckets, p] of [
      [1, 1_000, 4],
      [3, 50, 4],
      [10, 7, 3],
      [1, 5, 2],
    ]) {
      const ids = Array.from({ length: n }, (_, i) => i);
      const seen = new Map<string, number>();
      for (const task of splitWork(ids, buckets, p)) {
        for (const id of task.ids) for (let b = task.from; b < task.to; b += 1) seen.set(`${id}:${b}`, (seen.get(`${id}:${b}`) ?? 0) + 1);
      }
      expect(seen.size).toBe(n * buckets);
      expect([...seen.values()].every((c) => c === 1)).toBe(true);
    }
  });
});
