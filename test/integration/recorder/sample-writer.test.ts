import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeSeries } from "../../../server/recorder/sample";
import { SampleWriter } from "../../../server/store/sample-writer";
import { SeriesStore } from "../../../server/store/series-store";
import { createTimeseriesPool } from "../../../server/store/timeseries-pool";
import { createTestDatabase, type TestDatabase } from "../../support/db";

let db: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createTimeseriesPool(db.url, { applicationName: "loopscope-test-writer", max: 3 });
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

function rows(ids: number[], ts: number[], values: number[]) {
  return { seriesIds: ids, ts, values, length: ids.length };
}

async function count(): Promise<number> {
  return (await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM samples")).rows[0].n;
}

describe("SeriesStore", () => {
  it("creates each series once and agrees across concurrent resolvers", async () => {
    const descriptors = Array.from({ length: 300 }, (_, i) => describeSeries("self", { metric: "m", labels: { i: String(i) }, type: "gauge", help: "h" }));
    const [a, b] = await Promise.all([new SeriesStore(pool).resolve(descriptors), new SeriesStore(pool).resolve(descriptors.slice().reverse())]);
    expect(a.size).toBe(300);
    expect([...a.entries()].sort()).toEqual([...b.entries()].sort());
    const stored = await pool.query("SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids FROM series WHERE metric = 'm'");
    expect(stored.rows[0]).toEqual({ n: 300, ids: 300 });
    const again = new SeriesStore(pool);
    expect(await again.resolve(descriptors.slice(0, 5))).toEqual(new Map(descriptors.slice(0, 5).map((d) => [d.hash, a.get(d.hash)])));
  });
});

describe("SampleWriter", () => {
  it.each(["optimistic", "staged"] as const)("%s: replayed and duplicated rows do not fail a batch", async (strategy) => {
    await pool.query("TRUNCATE samples");
    const writer = new SampleWriter(pool, { strategy });
    const first = await writer.write(rows([1, 1, 2], [1_000, 2_000, 1_000], [1, 2, 3]));
    expect(first.inserted).toBe(3);
    // Replay of the same batch plus a new row and an in-batch duplicate.
    const replay = await writer.write(rows([1, 1, 2, 2, 3, 3], [1_000, 2_000, 1_000, 5_000, 1_000, 1_000], [9, 9, 9, 4, 5, 6]));
    expect(replay).toMatchObject({ inserted: 2, path: "staged" });
    const stored = await pool.query("SELECT series_id, extract(epoch FROM ts) * 1000 AS t, value FROM samples ORDER BY 1, 2");
    expect(stored.rows.map((r) => [r.series_id, Number(r.t), r.value])).toEqual([
      [1, 1_000, 1],
      [1, 2_000, 2],
      [2, 1_000, 3],
      [2, 5_000, 4],
      [3, 1_000, 5],
    ]);
  });

  it("stores NaN and ±Inf values as Prometheus does", async () => {
    await pool.query("TRUNCATE samples");
    await new SampleWriter(pool).write(rows([7, 7, 7], [1, 2, 3], [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]));
    const stored = await pool.query("SELECT value::text AS v FROM samples ORDER BY ts");
    expect(stored.rows.map((r) => r.v)).toEqual(["NaN", "Infinity", "-Infinity"]);
  });

  it("a batch that fails part-way stores nothing (all-or-nothing)", async () => {
    await pool.query("TRUNCATE samples");
    const n = 20_000;
    const ids = Array.from({ length: n }, (_, i) => (i === n - 1 ? Number.NaN : 1)); // the last row is invalid
    const ts = Array.from({ length: n }, (_, i) => 1_000 * (i + 1));
    await expect(new SampleWriter(pool).write(rows(ids, ts, ts))).rejects.toThrow(/integer/);
    expect(await count()).toBe(0);
    // The connection is still usable afterwards.
    await new SampleWriter(pool).write(rows([1], [1], [1]));
    expect(await count()).toBe(1);
  });
});
