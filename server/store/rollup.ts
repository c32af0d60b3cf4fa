import type pg from "pg";

/** Width of a rollup row: row `bucket` = s covers samples with ts in (s, s + MINUTE_MS]. */
export const MINUTE_MS = 60_000;

/** The start s of the left-open minute (s, s + 60 s] that holds epoch-ms time t. */
export function rollupMinute(t: number): number {
  return Math.ceil(t / MINUTE_MS) * MINUTE_MS - MINUTE_MS;
}

/** Columns of `samples_1m`, in insert order. */
const COLUMNS = "series_id, bucket, n, first_ts, first_v, last_ts, last_v, inc, min_v, max_v";
const UPSERT = `ON CONFLICT (series_id, bucket) DO UPDATE SET n = excluded.n, first_ts = excluded.first_ts, first_v = excluded.first_v,
  last_ts = excluded.last_ts, last_v = excluded.last_v, inc = excluded.inc, min_v = excluded.min_v, max_v = excluded.max_v`;

// The per-minute counter summary, as the raw counter query computes it per bucket:
// first/last sample and Σ (v ≥ prev ? v − prev : v) over consecutive samples.
const SUMMARY = `count(*)::int AS n, min(ts) AS first_ts, sum(value) FILTER (WHERE prev IS NULL) AS first_v,
  max(ts) AS last_ts, sum(value) FILTER (WHERE next IS NULL) AS last_v,
  coalesce(sum(value - prev) FILTER (WHERE value >= prev), 0) + coalesce(sum(value) FILTER (WHERE value < prev), 0) AS inc,
  min(value) AS min_v, max(value) AS max_v`;

/**
 * Recomputes the given (series, minute) rows from `samples` (parameters: $1 int[]
 * series ids, $2 float8[] minute starts in epoch seconds). Recomputing from the
 * stored samples rather than merging deltas keeps the rollup exact whatever the
 * batch holds: duplicates, late samples inside an existing minute, resets.
 */
const RECOMPUTE_SQL = `
INSERT INTO samples_1m (${COLUMNS})
SELECT k.series_id, to_timestamp(k.s), a.n, a.first_ts, a.first_v, a.last_ts, a.last_v, a.inc, a.min_v, a.max_v
FROM unnest($1::int[], $2::float8[]) AS k(series_id, s)
CROSS JOIN LATERAL (
  SELECT ${SUMMARY}
  FROM (
    SELECT ts, value, lag(value) OVER w AS prev, lead(value) OVER w AS next
    FROM samples WHERE series_id = k.series_id AND ts > to_timestamp(k.s) AND ts <= to_timestamp(k.s + 60)
    WINDOW w AS (ORDER BY ts)
  ) x
  HAVING count(*) > 0
) a
${UPSERT}`;

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

/** The distinct (series, minute) keys a batch of samples touches, as query parameters. */
export function touchedMinutes(seriesIds: ArrayLike<number>, ts: ArrayLike<number>, length: number): { ids: number[]; seconds: number[] } {
  const seen = new Map<number, Set<number>>();
  const ids: number[] = [];
  const seconds: number[] = [];
  for (let i = 0; i < length; i += 1) {
    const id = seriesIds[i];
    const s = rollupMinute(ts[i]);
    let minutes = seen.get(id);
    if (!minutes) {
      minutes = new Set();
      seen.set(id, minutes);
    }
    if (minutes.has(s)) continue;
    minutes.add(s);
    ids.push(id);
    seconds.push(s / 1000);
  }
  return { ids, seconds };
}

/** Advisory lock class of the rollup; series hash onto LOCK_SLOTS locks (bounded lock-table use). */
const LOCK_CLASS = 0x4c53;
const LOCK_SLOTS = 256;
const LOCK_SQL = `SELECT count(pg_advisory_xact_lock(${LOCK_CLASS}, k)) AS n
FROM (SELECT DISTINCT id % ${LOCK_SLOTS} AS k FROM unnest($1::int[]) AS id ORDER BY 1) s`;

/**
 * Brings the rollup rows of the given minutes up to date with `samples`. Run it
 * inside the writing transaction, after the samples are written: it first takes
 * transaction-scoped advisory locks on the series (in a fixed order, so writers
 * cannot deadlock), so a concurrent writer of the same series has committed before
 * the recompute statement takes its snapshot and its samples are counted too.
 */
export async function refreshRollup(db: pg.ClientBase | pg.Pool, keys: { ids: number[]; seconds: number[] }): Promise<void> {
  if (keys.ids.length === 0) return;
  await db.query(LOCK_SQL, [keys.ids]);
  await db.query(RECOMPUTE_SQL, [keys.ids, keys.seconds]);
}

/** Rebuilds the rollup for samples in [from, to) epoch ms (bulk loads, backfills). */
export async function rebuildRollup(db: pg.ClientBase | pg.Pool, from: number, to: number): Promise<number> {
  const result = await db.query(REBUILD_SQL, [new Date(from), new Date(to)]);
  return result.rowCount ?? 0;
}

/**
 * After samples with ts < cutoff were deleted: drops the rollup minutes entirely
 * before the cutoff and recomputes the minute the cutoff falls into (some of its
 * samples are gone), so the rollup still matches `samples` exactly.
 */
export async function expireRollup(db: pg.Pool, cutoff: number): Promise<number> {
  const boundary = rollupMinute(cutoff);
  const deleted = await db.query("DELETE FROM samples_1m WHERE bucket < $1::timestamptz", [new Date(boundary)]);
  const { rows } = await db.query<{ id: number }>("DELETE FROM samples_1m WHERE bucket = $1::timestamptz RETURNING series_id AS id", [new Date(boundary)]);
  await refreshRollup(db, { ids: rows.map((r) => r.id), seconds: rows.map(() => boundary / 1000) });
  return deleted.rowCount ?? 0;
}
