import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeSeries } from "../../../server/recorder/sample";
import { rebuildRollup } from "../../../server/store/rollup";
import { type SampleRows, SampleWriter, type WriteResult } from "../../../server/store/sample-writer";
import { SeriesStore } from "../../../server/store/series-store";
import { createTimeseriesPool } from "../../../server/store/timeseries-pool";
import { createTestDatabase, type TestDatabase } from "../../support/db";
import { seededRandom as random } from "../../../server/anomaly/synthetic";

const T0 = 1_900_000_000_000;
const SPECIAL = [0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
let db: TestDatabase;
let pool: pg.Pool;
let ids: number[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createTimeseriesPool(db.url, { applicationName: "loopscope-test-rollup-upkeep", max: 3 });
  const descriptors = Array.from({ length: 6 }, (_, i) => describeSeries("self", { metric: "upkeep", labels: { i: String(i) }, type: "gauge", help: "" }));
  const resolved = await new SeriesStore(pool).resolve(descriptors);
  ids = descriptors.map((d) => resolved.get(d.hash)!);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

interface Row {
  id: number;
  t: number;
  v: number;
}

function batch(rows: Row[]): SampleRows {
  return { seriesIds: rows.map((r) => r.id), ts: rows.map((r) => r.t), values: rows.map((r) => r.v), length: rows.length };
}

/** A value for series k: counters in 0.1 steps with resets, noisy gauges, and NaN/±Inf/±0 runs. */
function valueFor(k: number, state: number[], rand: () => number): number {
  if (k === 0) {
    state[0] = rand() < 0.03 ? Math.floor(rand() * 5) * 0.1 : state[0] + (rand() < 0.5 ? 0.1 : Math.floor(rand() * 30) * 0.3);
    return state[0];
  }
  if (k === 1) return SPECIAL[Math.floor(rand() * SPECIAL.length)];
  if (k === 2) return rand() < 0.2 ? SPECIAL[Math.floor(rand() * SPECIAL.length)] : (rand() - 0.5) * 1e6;
  return (rand() - 0.3) * 10 ** Math.floor(rand() * 6);
}

const snapshot = async () => (await pool.query("SELECT * FROM samples_1m ORDER BY series_id, bucket")).rows;

describe("samples_1m upkeep by the sample writer", () => {
  it("in-order appends and late, replayed and repeated writes leave the same rollup as a full recompute", async () => {
    const rand = random(7);
    const state = [0];
    const totals = { appended: 0, recomputed: 0 };
    const count = (result: WriteResult) => {
      totals.appended += result.rollup.appended;
      totals.recomputed += result.rollup.recomputed;
    };
    const writers = [new SampleWriter(pool), new SampleWriter(pool, { strategy: "staged" })];
    const held: Row[] = [];
    const written: Row[] = [];
    for (let tick = 0; tick < 400; tick += 1) {
      // Ticks of 1–7 s, so a minute is filled by several batches, some ending exactly on its edge.
      const t = T0 + tick * 4_000 + (tick % 5 === 0 ? 0 : Math.floor(rand() * 3_000) + 1);
      const rows: Row[] = ids.map((id, k) => ({ id, t, v: valueFor(k, state, rand) }));
      // Some samples are held back and written later, into minutes already rolled up.
      for (const row of rows.splice(0, rows.length)) (rand() < 0.05 ? held : rows).push(row);
      if (rand() < 0.3) rows.reverse(); // in order per series, but not per batch
      const writer = writers[tick % 2];
      count(await writer.write(batch(rows)));
      written.push(...rows);
      if (tick % 37 === 36) {
        // Late samples, a replay of stored ones, and a timestamp repeated inside the batch.
        const late = held.splice(0, held.length);
        const replay = written.slice(-8);
        const next = T0 + (tick + 1) * 4_000 - 1;
        count(await writer.write(batch([...late, ...replay, { id: ids[3], t: next, v: 1 }, { id: ids[3], t: next, v: 1 }])));
        written.push(...late);
      }
    }
    expect(totals.appended).toBeGreaterThan(500);
    expect(totals.recomputed).toBeGreaterThan(20);

    const maintained = await snapshot();
    expect(maintained.length).toBeGreaterThan(6 * 20);
    expect(maintained.some((r) => Object.is(r.inc, -0) || Number.isNaN(r.inc))).toBe(true);
    await pool.query("TRUNCATE samples_1m");
    await rebuildRollup(pool, T0 - 120_000, T0 + 3_600_000);
    // toEqual compares numbers with Object.is: NaN equals NaN, -0 differs from 0.
    expect(await snapshot()).toEqual(maintained);
  });
});
