import type pg from "pg";
import type { RollupRow } from "../../server/store/rollup-merge";

/** A rollup row (either level) as the tests compare them; times in epoch ms. */
export type RollupRowOf = RollupRow;

/**
 * What a rollup of `widthMs` must hold, computed in JS from the stored raw samples: per series
 * and left-open bucket (s, s + width], count, first/last sample, the increase over consecutive
 * samples with a drop counted as a reset (the value itself), min and max. Ordered by series and bucket.
 */
export async function expectedRollup(db: pg.Pool, widthMs: number): Promise<RollupRowOf[]> {
  const { rows } = await db.query<{ id: number; t: number; v: number }>(
    "SELECT series_id AS id, date_part('epoch', ts) * 1000 AS t, value AS v FROM samples ORDER BY series_id, ts",
  );
  const out: RollupRowOf[] = [];
  let row: RollupRowOf | undefined;
  for (const sample of rows) {
    const t = Math.round(sample.t);
    const bucket = Math.ceil(t / widthMs) * widthMs - widthMs;
    if (!row || row.seriesId !== sample.id || row.bucket !== bucket) {
      row = { seriesId: sample.id, bucket, n: 1, firstTs: t, firstV: sample.v, lastTs: t, lastV: sample.v, inc: 0, minV: sample.v, maxV: sample.v };
      out.push(row);
      continue;
    }
    row.inc += sample.v >= row.lastV ? sample.v - row.lastV : sample.v;
    row.n += 1;
    row.lastTs = t;
    row.lastV = sample.v;
    row.minV = Math.min(row.minV, sample.v);
    row.maxV = Math.max(row.maxV, sample.v);
  }
  return out;
}

/** The stored rows of `samples_1m` or `samples_5m`, in the shape of expectedRollup. */
export async function storedRollup(db: pg.Pool, table: "samples_1m" | "samples_5m"): Promise<RollupRowOf[]> {
  const { rows } = await db.query<RollupRowOf>(
    `SELECT series_id AS "seriesId", date_part('epoch', bucket) * 1000 AS bucket, n, date_part('epoch', first_ts) * 1000 AS "firstTs", first_v AS "firstV",
       date_part('epoch', last_ts) * 1000 AS "lastTs", last_v AS "lastV", inc, min_v AS "minV", max_v AS "maxV"
     FROM ${table} ORDER BY series_id, bucket`,
  );
  return rows.map((r) => ({ ...r, bucket: Math.round(r.bucket), firstTs: Math.round(r.firstTs), lastTs: Math.round(r.lastTs) }));
}
