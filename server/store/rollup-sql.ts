/** SQL shared by the rollup levels `samples_1m` and `samples_5m` (same columns, same key). */

/** Columns of a rollup table, in insert order. */
export const ROLLUP_COLUMNS = "series_id, bucket, n, first_ts, first_v, last_ts, last_v, inc, min_v, max_v";

/** Replaces a stored row by the one just computed. */
export const ROLLUP_UPSERT = `ON CONFLICT (series_id, bucket) DO UPDATE SET n = excluded.n, first_ts = excluded.first_ts, first_v = excluded.first_v,
  last_ts = excluded.last_ts, last_v = excluded.last_v, inc = excluded.inc, min_v = excluded.min_v, max_v = excluded.max_v`;

/**
 * Upserts the rows of the given (series, bucket) keys ($1 int[] series ids, $2 float8[] bucket
 * starts in epoch s) into `table`, each computed by `summary`: a query run per key (it sees
 * `k.series_id` and `k.s`) yielding the row's columns from n on, or no row when the bucket is empty.
 */
export function recomputePerKeySql(table: "samples_1m" | "samples_5m", summary: string): string {
  return `
INSERT INTO ${table} (${ROLLUP_COLUMNS})
SELECT k.series_id, to_timestamp(k.s), a.n, a.first_ts, a.first_v, a.last_ts, a.last_v, a.inc, a.min_v, a.max_v
FROM unnest($1::int[], $2::float8[]) AS k(series_id, s)
CROSS JOIN LATERAL (${summary}) a
${ROLLUP_UPSERT}`;
}
