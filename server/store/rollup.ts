import type pg from "pg";
import { boundaryBlockSeries, expireFiveMinuteRollup, rebuildFiveMinuteRollup, recomputeFiveMinuteBlocks } from "./rollup-5m";
import { appendToRollup, float8ArrayLiteral, groupByMinute, type MinuteGroup, type RollupRow, rollupMinute, type SampleColumns } from "./rollup-merge";

export { MINUTE_MS, rollupMinute } from "./rollup-merge";

import { ROLLUP_COLUMNS as COLUMNS, ROLLUP_UPSERT as UPSERT, recomputePerKeySql } from "./rollup-sql";

// The per-minute counter summary, as the raw counter query computes it per bucket:
// first/last sample and Σ (v ≥ prev ? v − prev : v) over consecutive samples, summed
// as one sequence in time order, so that appending newer samples (appendToRollup)
// continues the very same sum.
const SUMMARY = `count(*)::int AS n, min(ts) AS first_ts, sum(value) FILTER (WHERE prev IS NULL) AS first_v,
  max(ts) AS last_ts, sum(value) FILTER (WHERE next IS NULL) AS last_v,
  coalesce(sum(CASE WHEN value >= prev THEN value - prev ELSE value END) FILTER (WHERE prev IS NOT NULL), 0) AS inc,
  min(value) AS min_v, max(value) AS max_v`;

/**
 * Recomputes the given (series, minute) rows from `samples` (parameters: $1 int[]
 * series ids, $2 float8[] minute starts in epoch seconds). Recomputing from the
 * stored samples rather than merging deltas keeps the rollup exact whatever the
 * batch holds: duplicates, late samples inside an existing minute, resets.
 */
const RECOMPUTE_SQL = recomputePerKeySql(
  "samples_1m",
  `
  SELECT ${SUMMARY}
  FROM (
    SELECT ts, value, lag(value) OVER w AS prev, lead(value) OVER w AS next
    FROM samples WHERE series_id = k.series_id AND ts > to_timestamp(k.s) AND ts <= to_timestamp(k.s + 60)
    WINDOW w AS (ORDER BY ts)
  ) x
  HAVING count(*) > 0`,
);

/** Rebuilds every rollup row from `samples` with ts in [$1, $2) (whole minutes are recomputed). */
export const REBUILD_SQL = `
INSERT INTO samples_1m (${COLUMNS})
SELECT series_id, m, ${SUMMARY}
FROM (
  SELECT series_id, ts, value, m, lag(value) OVER w AS prev, lead(value) OVER w AS next
  FROM (
    SELECT series_id, ts, value, date_trunc('minute', ts - interval '1 millisecond') AS m FROM samples
    WHERE ts > date_trunc('minute', $1::timestamptz - interval '1 millisecond')
      AND ts <= date_trunc('minute', $2::timestamptz - interval '1 millisecond') + interval '1 minute'
  ) s
  WINDOW w AS (PARTITION BY series_id, m ORDER BY ts)
) x
GROUP BY series_id, m
${UPSERT}`;

/** Advisory lock class of the rollup; series hash onto LOCK_SLOTS locks (bounded lock-table use). */
const LOCK_CLASS = 0x4c53;
const LOCK_SLOTS = 256;
const LOCK_SQL = `SELECT count(pg_advisory_xact_lock(${LOCK_CLASS}, k)) AS n
FROM (SELECT DISTINCT id % ${LOCK_SLOTS} AS k FROM unnest($1::int[]) AS id ORDER BY 1) s`;

/**
 * The stored rollup rows of the given (series, minute) keys ($1 int[] ids, $2 float8[]
 * minute starts in epoch s); times in epoch ms. One primary-key probe per key (the
 * LIMIT keeps the lateral from being flattened into a hash join, which would read every
 * row of every partition: the cost would grow with the table, not with the batch).
 */
const STORED_SQL = `
SELECT r.series_id AS "seriesId", date_part('epoch', r.bucket) * 1000 AS bucket, r.n,
  date_part('epoch', r.first_ts) * 1000 AS "firstTs", r.first_v AS "firstV", date_part('epoch', r.last_ts) * 1000 AS "lastTs", r.last_v AS "lastV",
  r.inc, r.min_v AS "minV", r.max_v AS "maxV"
FROM unnest($1::int[], $2::float8[]) AS k(series_id, s)
CROSS JOIN LATERAL (SELECT * FROM samples_1m WHERE series_id = k.series_id AND bucket = to_timestamp(k.s) LIMIT 1) r`;

/** Writes whole rollup rows computed by the writer (minute starts in epoch s, sample times in epoch ms). */
const WRITE_SQL = `
INSERT INTO samples_1m (${COLUMNS})
SELECT series_id, to_timestamp(s), n, to_timestamp(f / 1000), fv, to_timestamp(l / 1000), lv, inc, mn, mx
FROM unnest($1::int[], $2::float8[], $3::int[], $4::float8[], $5::float8[], $6::float8[], $7::float8[], $8::float8[], $9::float8[], $10::float8[])
  AS r(series_id, s, n, f, fv, l, lv, inc, mn, mx)
${UPSERT}`;

/** The (series, minute) keys of some groups, as query parameters. */
function keysOf(groups: readonly MinuteGroup[]): { ids: number[]; seconds: number[] } {
  return { ids: groups.map((g) => g.seriesId), seconds: groups.map((g) => g.bucket / 1000) };
}

async function writeRows(db: pg.ClientBase, rows: readonly RollupRow[]): Promise<void> {
  const column = (pick: (r: RollupRow) => number) => float8ArrayLiteral(rows.map(pick));
  await db.query(WRITE_SQL, [
    rows.map((r) => r.seriesId),
    rows.map((r) => r.bucket / 1000),
    rows.map((r) => r.n),
    column((r) => r.firstTs),
    column((r) => r.firstV),
    column((r) => r.lastTs),
    column((r) => r.lastV),
    column((r) => r.inc),
    column((r) => r.minV),
    column((r) => r.maxV),
  ]);
}

export interface RollupUpdate {
  /** Minutes whose rows were extended (or created) from the batch alone. */
  appended: number;
  /** Minutes recomputed from the stored samples (late samples, replays, repeated timestamps). */
  recomputed: number;
  /** Five-minute blocks (`samples_5m`) recomputed from their minutes. */
  blocks: number;
}

/**
 * Brings the rollup rows of every minute a batch touches up to date. Run it inside
 * the writing transaction, after the batch's samples are written (`groups` is
 * `groupByMinute(batch)`). It first takes transaction-scoped advisory locks on the
 * series (in a fixed order, so writers cannot deadlock): a concurrent writer of the
 * same series has committed before the stored rows are read, so nothing is missed.
 *
 * The normal case, samples newer than everything their minute's row covers, is
 * appended to the row in JS (appendToRollup) and written with one upsert; no sample
 * is read back. Only minutes with late samples (at or before the row's last sample,
 * which also covers replays the insert skipped) or a timestamp repeated inside the
 * batch are recomputed from `samples`. Both give the same row, bit for bit. This
 * relies on every stored row summarising exactly the committed samples of its
 * minute, which the writer, retention (expireRollup) and bulk loads (rebuildRollup
 * after a COPY that bypasses the writer) all keep. Then every five-minute block
 * (`samples_5m`) the batch touches is recomputed from its updated minutes.
 */
export async function updateRollup(db: pg.ClientBase, rows: SampleColumns, groups: readonly MinuteGroup[] = groupByMinute(rows)): Promise<RollupUpdate> {
  if (groups.length === 0) return { appended: 0, recomputed: 0, blocks: 0 };
  const keys = keysOf(groups);
  await db.query(LOCK_SQL, [keys.ids]);
  const stored = new Map<number, Map<number, RollupRow>>();
  for (const row of (await db.query<RollupRow>(STORED_SQL, [keys.ids, keys.seconds])).rows) {
    const minutes = stored.get(row.seriesId) ?? new Map<number, RollupRow>();
    stored.set(row.seriesId, minutes);
    minutes.set(Math.round(row.bucket), { ...row, firstTs: Math.round(row.firstTs), lastTs: Math.round(row.lastTs) });
  }
  const appended: RollupRow[] = [];
  const late: MinuteGroup[] = [];
  for (const group of groups) {
    const row = appendToRollup(stored.get(group.seriesId)?.get(group.bucket), group, rows);
    if (row) appended.push(row);
    else late.push(group);
  }
  if (appended.length > 0) await writeRows(db, appended);
  if (late.length > 0) {
    const lateKeys = keysOf(late);
    await db.query(RECOMPUTE_SQL, [lateKeys.ids, lateKeys.seconds]);
  }
  // The five-minute blocks the batch touches, from their minutes as they now are.
  const blocks = await recomputeFiveMinuteBlocks(db, groups);
  return { appended: appended.length, recomputed: late.length, blocks };
}

/** Rebuilds the rollups (minutes, then their five-minute blocks) for samples in [from, to) epoch ms (bulk loads, backfills); returns the minutes written. */
export async function rebuildRollup(db: pg.ClientBase | pg.Pool, from: number, to: number): Promise<number> {
  const result = await db.query(REBUILD_SQL, [new Date(from), new Date(to)]);
  await rebuildFiveMinuteRollup(db, from, to);
  return result.rowCount ?? 0;
}

/**
 * After samples with ts < cutoff were deleted: drops the rollup minutes entirely
 * before the cutoff and recomputes the minute the cutoff falls into (some of its
 * samples are gone), so the rollup still matches `samples` exactly; the five-minute
 * blocks before the cutoff's go, and the cutoff's is recomputed from its minutes.
 */
export async function expireRollup(db: pg.Pool, cutoff: number): Promise<number> {
  const boundary = new Date(rollupMinute(cutoff));
  const deleted = await db.query("DELETE FROM samples_1m WHERE bucket < $1::timestamptz", [boundary]);
  const client = await db.connect();
  try {
    await client.query("BEGIN");
    // Every series with a row in the cutoff's five-minute block (which holds its minute).
    const blockIds = await boundaryBlockSeries(client, boundary.getTime());
    // Under the writers' locks (taken before any row lock, as writers do), so no writer
    // extends the minute or the block between the delete and the recompute.
    if (blockIds.length > 0) await client.query(LOCK_SQL, [blockIds]);
    const { rows } = await client.query<{ id: number }>("SELECT series_id AS id FROM samples_1m WHERE bucket = $1::timestamptz", [boundary]);
    const ids = rows.map((r) => r.id);
    if (ids.length > 0) {
      await client.query("DELETE FROM samples_1m WHERE bucket = $1::timestamptz AND series_id = ANY($2::int[])", [boundary, ids]);
      await client.query(RECOMPUTE_SQL, [ids, ids.map(() => boundary.getTime() / 1000)]);
    }
    await expireFiveMinuteRollup(client, boundary.getTime(), blockIds);
    await client.query("COMMIT");
    return deleted.rowCount ?? 0;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
