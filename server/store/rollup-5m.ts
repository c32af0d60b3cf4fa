import type pg from "pg";
import { MINUTE_MS, rollupMinute } from "./rollup-merge";
import { ROLLUP_COLUMNS as COLUMNS, ROLLUP_UPSERT as UPSERT, recomputePerKeySql } from "./rollup-sql";

/**
 * The five-minute rollup `samples_5m`: row `bucket` = s summarises the samples with ts in
 * (s, s + 300 s], the same columns as `samples_1m`. A block is always recomputed from the
 * `samples_1m` rows of its five minutes (s, s + 60 s … s + 240 s), never merged from
 * deltas: whatever brought the minutes up to date (appends, late samples, replays, a
 * retention cut), the block is their exact combination. Callers hold the writers'
 * series locks (rollup.ts), as for the minutes.
 */

export const FIVE_MINUTES_MS = 5 * MINUTE_MS;

/** The start of the five-minute block holding the rollup minute (or block) starting at `bucket` (epoch ms). */
export function fiveMinuteBlock(bucket: number): number {
  return Math.floor(bucket / FIVE_MINUTES_MS) * FIVE_MINUTES_MS;
}


/**
 * The increase of pieces combined in time order (`plv`: the previous piece's last value;
 * `fv`, `inc`: the piece's first value and inner increase): the pieces' own increases
 * plus each step between them, a step to a lower value counted as a reset (the value
 * itself). The counter queries combine pieces with the same expression.
 */
export const COMBINED_INCREASE = "sum(inc) + coalesce(sum(fv - plv) FILTER (WHERE fv >= plv), 0) + coalesce(sum(fv) FILTER (WHERE fv < plv), 0)";

/** A block's row from its minutes (columns renamed to the pieces' names, with plv/nfv from the window). */
const COMBINED_MINUTES = `sum(n)::int AS n, min(t0) AS first_ts, sum(fv) FILTER (WHERE plv IS NULL) AS first_v,
  max(t1) AS last_ts, sum(lv) FILTER (WHERE nfv IS NULL) AS last_v, ${COMBINED_INCREASE} AS inc, min(min_v) AS min_v, max(max_v) AS max_v`;
const MINUTE_PIECES = "n, first_ts AS t0, last_ts AS t1, first_v AS fv, last_v AS lv, inc, min_v, max_v, lag(last_v) OVER w AS plv, lead(first_v) OVER w AS nfv";

/**
 * Recomputes the given (series, block) rows from `samples_1m` ($1 int[] series ids, $2
 * float8[] block starts in epoch s). A block whose minutes are all gone (retention) keeps
 * no row: delete it first, then recompute.
 */
const RECOMPUTE_SQL = recomputePerKeySql(
  "samples_5m",
  `
  SELECT ${COMBINED_MINUTES}
  FROM (
    SELECT ${MINUTE_PIECES} FROM samples_1m
    WHERE series_id = k.series_id AND bucket >= to_timestamp(k.s) AND bucket < to_timestamp(k.s + 300)
    WINDOW w AS (ORDER BY bucket)
  ) m
  HAVING count(*) > 0`,
);

/** Rebuilds every block with bucket in [$1, $2) (epoch s, whole blocks) from `samples_1m`. */
const REBUILD_SQL = `
INSERT INTO samples_5m (${COLUMNS})
SELECT series_id, b5, ${COMBINED_MINUTES}
FROM (
  SELECT series_id, b5, ${MINUTE_PIECES}
  FROM (
    SELECT *, to_timestamp(floor(date_part('epoch', bucket) / 300) * 300) AS b5 FROM samples_1m
    WHERE bucket >= to_timestamp($1::float8) AND bucket < to_timestamp($2::float8)
  ) m
  WINDOW w AS (PARTITION BY series_id, b5 ORDER BY bucket)
) x
GROUP BY series_id, b5
${UPSERT}`;

/** The distinct (series, block) keys of some (series, minute) keys, as query parameters. */
function blockKeys(minutes: readonly { seriesId: number; bucket: number }[]): { ids: number[]; seconds: number[] } {
  const seen = new Map<number, Set<number>>();
  const ids: number[] = [];
  const seconds: number[] = [];
  for (const { seriesId, bucket } of minutes) {
    const block = fiveMinuteBlock(bucket);
    let blocks = seen.get(seriesId);
    if (!blocks) {
      blocks = new Set();
      seen.set(seriesId, blocks);
    }
    if (blocks.has(block)) continue;
    blocks.add(block);
    ids.push(seriesId);
    seconds.push(block / 1000);
  }
  return { ids, seconds };
}

/** Recomputes the blocks holding the given (series, minute) keys from their (already updated) minutes; returns how many. */
export async function recomputeFiveMinuteBlocks(db: pg.ClientBase, minutes: readonly { seriesId: number; bucket: number }[]): Promise<number> {
  const keys = blockKeys(minutes);
  if (keys.ids.length > 0) await db.query(RECOMPUTE_SQL, [keys.ids, keys.seconds]);
  return keys.ids.length;
}

/** Rebuilds the blocks holding the rollup minutes a `rebuildRollup(from, to)` recomputed (epoch ms). */
export async function rebuildFiveMinuteRollup(db: pg.ClientBase | pg.Pool, from: number, to: number): Promise<number> {
  const lo = fiveMinuteBlock(rollupMinute(from));
  const hi = fiveMinuteBlock(rollupMinute(to)) + FIVE_MINUTES_MS;
  const result = await db.query(REBUILD_SQL, [lo / 1000, hi / 1000]);
  return result.rowCount ?? 0;
}

/**
 * After the minutes before `boundary` (a rollup minute, epoch ms) were deleted and the
 * boundary's minute recomputed: drops the blocks entirely before it and recomputes the
 * block it falls into from what is left of its minutes. Run it in the transaction that
 * holds the writers' locks of every series with a row in that block (`ids`).
 */
export async function expireFiveMinuteRollup(db: pg.ClientBase, boundary: number, ids: readonly number[]): Promise<void> {
  const block = fiveMinuteBlock(boundary);
  await db.query("DELETE FROM samples_5m WHERE bucket <= $1::timestamptz", [new Date(block)]);
  if (ids.length > 0) await db.query(RECOMPUTE_SQL, [ids, ids.map(() => block / 1000)]);
}

/** The series with a row in the block holding `boundary` in either rollup: the ones expireFiveMinuteRollup recomputes (lock them first). */
export async function boundaryBlockSeries(db: pg.ClientBase, boundary: number): Promise<number[]> {
  const { rows } = await db.query<{ id: number }>(
    `SELECT series_id AS id FROM samples_1m WHERE bucket >= $1::timestamptz AND bucket < $1::timestamptz + interval '5 minutes'
     UNION SELECT series_id FROM samples_5m WHERE bucket = $1::timestamptz`,
    [new Date(fiveMinuteBlock(boundary))],
  );
  return rows.map((r) => r.id);
}
