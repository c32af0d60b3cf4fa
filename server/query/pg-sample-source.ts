import pg from "pg";
import { z } from "zod";
import {
  type CounterBuckets,
  emptyCounterBuckets,
  emptyRegressionBuckets,
  emptyValueBuckets,
  type MinMaxBucket,
  type RegressionBuckets,
  type ValueBuckets,
} from "./buckets";
import { COMBINED_INCREASE, FIVE_MINUTES_MS } from "../store/rollup-5m";
import { QueryCancelledError } from "./query-cost";
import type { EvalPlan, MinMaxPlan } from "./range-plan";
import { type QueryContext, type SampleSource, type StoredSeries, yieldToEventLoop } from "./sample-source";

const labelsSchema = z.record(z.string(), z.string());

/** One unit of SQL work: some series over a contiguous run of buckets [from, to). */
interface Task {
  ids: number[];
  from: number;
  to: number;
}

/** Rows of a bucket query: series id, bucket index, then aggregate columns (all float8). */
type BucketRow = { id: number; i: number } & Record<string, number>;

const MAX_IDS_PER_TASK = 500;

/**
 * Splits the work so that `parallelism` connections share it: the buckets are cut
 * into contiguous runs (and very many series into groups). Runs start and end on
 * bucket edges, so every per-bucket aggregate is the same as unsplit.
 */
export function splitWork(ids: readonly number[], buckets: number, parallelism: number): Task[] {
  if (ids.length === 0 || buckets <= 0) return [];
  const groups: number[][] = [];
  for (let k = 0; k < ids.length; k += MAX_IDS_PER_TASK) groups.push(ids.slice(k, k + MAX_IDS_PER_TASK));
  const runs = Math.max(1, Math.min(Math.ceil(Math.max(1, parallelism) / groups.length), Math.floor(buckets / 8)));
  const tasks: Task[] = [];
  for (const group of groups) {
    for (let k = 0; k < runs; k += 1) {
      const from = Math.floor((k * buckets) / runs);
      const to = Math.floor(((k + 1) * buckets) / runs);
      if (to > from) tasks.push({ ids: group, from, to });
    }
  }
  return tasks;
}

// Every query walks the buckets of a task with one LATERAL subquery per bucket: an
// index range scan on the primary key (series_id = ANY(...), ts in the bucket), which
// returns rows in (series_id, ts) order, aggregated per series without sorting or
// hashing. Measured on a week of data, this was 1.5–2× cheaper than one
// GROUP BY date_bin(...) over the whole range (no per-row bucket computation, no hash
// aggregate). Parameters: $1 series ids, $2/$3 first/last bucket index, $4 bucket
// width (ms), $5 origin (epoch ms), then query-specific ones.
const BUCKETS = "generate_series($2::int, $3::int) AS g(i)";
const LO = "to_timestamp(($5::float8 + g.i * $4::float8) / 1000)";
const HI = "to_timestamp(($5::float8 + (g.i + 1) * $4::float8) / 1000)";
// Window buckets are left-open, $6 apart: (origin + i·s, origin + i·s + b].
const W_LO = "($5::float8 + g.i * $6::float8)";
const W_HI = "($5::float8 + g.i * $6::float8 + $4::float8)";
const IN_WINDOW_BUCKET = `ts > to_timestamp(${W_LO} / 1000) AND ts <= to_timestamp(${W_HI} / 1000)`;
/** Raw buckets are left-closed and clipped to the query range [$6, $7]. */
const IN_RAW_BUCKET = `ts >= greatest(${LO}, $6::timestamptz) AND ts < ${HI} AND ts <= $7::timestamptz`;
const EPOCH_MS = (column: string) => `date_part('epoch', ${column}) * 1000`;

// Counters: the first and last sample of the bucket (exact values: the reset rule
// between buckets compares them) and the reset-corrected increase between
// consecutive samples inside it, as the non-decreasing steps (up) plus the values
// right after a reset (rs). lag()/lead() run over the rows in index order.
const COUNTER_SQL = `
SELECT a.id, g.i, a.n, a.t0, a.t1, a.fv, a.lv, a.up + a.rs AS inc
FROM ${BUCKETS}
CROSS JOIN LATERAL (
  SELECT series_id AS id, count(*)::float8 AS n, ${EPOCH_MS("min(ts)")} AS t0, ${EPOCH_MS("max(ts)")} AS t1,
    sum(value) FILTER (WHERE prev IS NULL) AS fv,
    sum(value) FILTER (WHERE next IS NULL) AS lv,
    coalesce(sum(value - prev) FILTER (WHERE value >= prev), 0) AS up,
    coalesce(sum(value) FILTER (WHERE value < prev), 0) AS rs
  FROM (
    SELECT series_id, ts, value, lag(value) OVER w AS prev, lead(value) OVER w AS next
    FROM samples WHERE series_id = ANY($1::int[]) AND ${IN_WINDOW_BUCKET}
    WINDOW w AS (PARTITION BY series_id ORDER BY ts)
  ) x
  GROUP BY series_id
) a`;

/** Counter buckets at least this wide are read from the 1-minute rollup (plus raw edges). */
export const ROLLUP_MIN_BUCKET_MS = 5 * 60_000;

// Counters from the rollup: bucket (lo, hi] = raw samples in (lo, a] + the rollup
// minutes (s, s + 60 s] inside (a, z] + raw samples in (z, hi], with a/z the first/last
// whole minute inside the bucket. Each raw sample is a piece of one sample; pieces are
// combined in time order exactly as summarizeBuckets combines buckets (the step from
// one piece's last value to the next one's first value, with the reset rule), so the
// result equals COUNTER_SQL up to float rounding. Edges on whole minutes skip the
// raw scans (a one-time filter), so minute-aligned plans read only the rollup.
/**
 * One bucket's counter summary from its pieces in time order (`plv`/`nfv`: the previous
 * piece's last value and the next one's first): count, first and last time, first and last
 * value, and the increase, with a step to a lower value counted as a reset.
 */
const COMBINED_PIECES = `sum(n)::float8 AS n, ${EPOCH_MS("min(t0)")} AS t0, ${EPOCH_MS("max(t1)")} AS t1,
    sum(fv) FILTER (WHERE plv IS NULL) AS fv,
    sum(lv) FILTER (WHERE nfv IS NULL) AS lv,
    ${COMBINED_INCREASE} AS inc`;
const PIECE = "SELECT series_id AS id, ts AS t0, ts AS t1, 1 AS n, value AS fv, value AS lv, 0::float8 AS inc FROM samples";
const ROLLUP_COUNTER_SQL = `
SELECT a.id, g.i, a.n, a.t0, a.t1, a.fv, a.lv, a.inc
FROM ${BUCKETS}
CROSS JOIN LATERAL (
  SELECT to_timestamp(${W_LO} / 1000) AS lo, to_timestamp(${W_HI} / 1000) AS hi,
    to_timestamp(ceil(${W_LO} / 60000) * 60) AS a, to_timestamp(floor(${W_HI} / 60000) * 60) AS z
) e
CROSS JOIN LATERAL (
  SELECT id, ${COMBINED_PIECES}
  FROM (
    SELECT id, t0, t1, n, fv, lv, inc, lag(lv) OVER w AS plv, lead(fv) OVER w AS nfv
    FROM (
      ${PIECE} WHERE e.lo < e.a AND series_id = ANY($1::int[]) AND ts > e.lo AND ts <= e.a
      UNION ALL
      SELECT series_id, first_ts, last_ts, n, first_v, last_v, inc FROM samples_1m
      WHERE series_id = ANY($1::int[]) AND bucket >= e.a AND bucket < e.z
      UNION ALL
      ${PIECE} WHERE e.z < e.hi AND series_id = ANY($1::int[]) AND ts > e.z AND ts <= e.hi
    ) p
    WINDOW w AS (PARTITION BY id ORDER BY t0)
  ) x
  GROUP BY id
) a`;

/**
 * Counters from a rollup level when every bucket edge is a whole row of it (a minute of
 * `samples_1m`, or five of `samples_5m`): the same pieces as ROLLUP_COUNTER_SQL (its raw
 * edges are empty then), but read with one index range scan per series over the plan's
 * rows instead of one scan of every series per bucket; row m is in bucket
 * i = (m − origin) div stride when it ends by the bucket's end. The pieces are combined
 * in the same order with the same arithmetic, so the rows are the same (ordered by
 * bucket, which orders a series' rows as their first sample does). Measured on a week of
 * 11-minute buckets over 21 counters, 20–40 % cheaper than bucket by bucket: per bucket
 * the scan descended the index once for each series and sorted the union. A block of
 * `samples_5m` is its five minutes combined the same way, so both levels give the same
 * rows (exactly so when the sums are exact, e.g. whole-number counters).
 */
function alignedRollupCounterSql(table: "samples_1m" | "samples_5m"): string {
  return `
SELECT s.id, q.i, q.n, q.t0, q.t1, q.fv, q.lv, q.inc
FROM unnest($1::int[]) AS s(id)
CROSS JOIN LATERAL (
  SELECT i::int AS i, ${COMBINED_PIECES}
  FROM (
    SELECT i, n, t0, t1, fv, lv, inc, lag(lv) OVER w AS plv, lead(fv) OVER w AS nfv
    FROM (
      SELECT (m - $5::bigint) / $6::bigint AS i, m, bucket, first_ts AS t0, last_ts AS t1, n, first_v AS fv, last_v AS lv, inc
      FROM (
        SELECT (date_part('epoch', bucket) * 1000)::bigint AS m, bucket, first_ts, last_ts, n, first_v, last_v, inc FROM ${table}
        WHERE series_id = s.id AND bucket >= to_timestamp(${W_LO.replace("g.i", "$2::int")} / 1000)
          AND bucket < to_timestamp(${W_HI.replace("g.i", "$3::int")} / 1000)
      ) r
    ) p
    WHERE (m - $5::bigint) % $6::bigint < $4::bigint
    WINDOW w AS (PARTITION BY i ORDER BY bucket)
  ) x
  GROUP BY i
) q`;
}
const ALIGNED_ROLLUP_COUNTER_SQL = alignedRollupCounterSql("samples_1m");
const ALIGNED_ROLLUP_5M_COUNTER_SQL = alignedRollupCounterSql("samples_5m");

/** Whether every bucket edge of the plan is a whole minute (the rollup alone answers its counter buckets). */
export function minuteAligned(plan: EvalPlan): boolean {
  return alignedTo(plan, 60_000);
}

/** Whether every bucket edge of the plan is a whole five-minute block (the 5-minute rollup alone answers its counter buckets). */
export function fiveMinuteAligned(plan: EvalPlan): boolean {
  return alignedTo(plan, FIVE_MINUTES_MS);
}

/** Whether a plan's bucket edges are all whole multiples of `ms` (a min/max plan's buckets are contiguous: no stride). */
function alignedTo(plan: Pick<EvalPlan, "origin" | "bucketMs"> & { strideMs?: number }, ms: number): boolean {
  return plan.origin % ms === 0 && plan.bucketMs % ms === 0 && (plan.strideMs ?? 0) % ms === 0;
}

/**
 * Where a plan's counter buckets are read: raw samples (narrow buckets, or the rollup off),
 * the 1-minute rollup plus raw samples at unaligned edges ("1m+raw"), the 1-minute rollup
 * alone, or the 5-minute one alone.
 */
export type CounterLevel = "raw" | "1m+raw" | "1m" | "5m";

export interface CounterLevelOptions {
  rollup: boolean;
  seriesScan: boolean;
  fiveMinute: boolean;
}

export function counterLevel(plan: EvalPlan, options: CounterLevelOptions): CounterLevel {
  if (!options.rollup || plan.bucketMs < ROLLUP_MIN_BUCKET_MS) return "raw";
  if (!options.seriesScan || !minuteAligned(plan)) return "1m+raw";
  return options.fiveMinute && fiveMinuteAligned(plan) ? "5m" : "1m";
}

const COUNTER_LEVEL_SQL: Record<CounterLevel, string> = {
  raw: COUNTER_SQL,
  "1m+raw": ROLLUP_COUNTER_SQL,
  "1m": ALIGNED_ROLLUP_COUNTER_SQL,
  "5m": ALIGNED_ROLLUP_5M_COUNTER_SQL,
};

// Gauges (deriv): least-squares sums, x in seconds since the bucket's start.
const REGRESSION_SQL = `
SELECT a.id, g.i, a.n, a.sx, a.sy, a.sxx, a.sxy
FROM ${BUCKETS}
CROSS JOIN LATERAL (
  SELECT series_id AS id, count(*)::float8 AS n, sum(x) AS sx, sum(value) AS sy, sum(x * x) AS sxx, sum(x * value) AS sxy
  FROM (
    SELECT series_id, value, (date_part('epoch', ts) * 1000 - ${W_LO}) / 1000 AS x
    FROM samples WHERE series_id = ANY($1::int[]) AND ${IN_WINDOW_BUCKET}
  ) r
  GROUP BY series_id
) a`;

// Instant values: count, extremes, and the latest sample (one backward index probe).
const VALUE_SQL = `
SELECT a.id, g.i, a.n, a.lo, a.hi, ${EPOCH_MS("l.ts")} AS lt, l.value AS lv
FROM ${BUCKETS}
CROSS JOIN LATERAL (
  SELECT series_id AS id, count(*)::float8 AS n, min(value) AS lo, max(value) AS hi
  FROM samples WHERE series_id = ANY($1::int[]) AND ${IN_WINDOW_BUCKET}
  GROUP BY series_id
) a
CROSS JOIN LATERAL (SELECT ts, value FROM samples WHERE series_id = a.id AND ${IN_WINDOW_BUCKET} ORDER BY ts DESC LIMIT 1) l`;

// Raw min/max: the bucket's extremes (NaN and ±Inf cannot be drawn), then the time of
// each, found with an index probe that stops at the first match: the earliest minimum
// and the latest maximum. Cheaper than carrying (value, ts) pairs through min()/max().
const MINMAX_SQL = `
SELECT a.id, g.i, a.n, a.lo, a.hi,
  (SELECT ${EPOCH_MS("ts")} FROM samples WHERE series_id = a.id AND ${IN_RAW_BUCKET} AND value = a.lo ORDER BY ts LIMIT 1) AS lo_t,
  (SELECT ${EPOCH_MS("ts")} FROM samples WHERE series_id = a.id AND ${IN_RAW_BUCKET} AND value = a.hi ORDER BY ts DESC LIMIT 1) AS hi_t
FROM ${BUCKETS}
CROSS JOIN LATERAL (
  SELECT series_id AS id, count(*)::float8 AS n, min(value) AS lo, max(value) AS hi
  FROM samples WHERE series_id = ANY($1::int[]) AND ${IN_RAW_BUCKET} AND abs(value) < 'Infinity'::float8
  GROUP BY series_id
) a`;

/** Raw min/max buckets at least this wide are read from the 1-minute rollup (plus raw edges). */
export const ROLLUP_MIN_MINMAX_BUCKET_MS = 5 * 60_000;

const MS = (column: string) => `round(date_part('epoch', ${column}) * 1000)`;
const FINITE = (column: string) => `abs(${column}) < 'Infinity'::float8`;

// Raw min/max from a rollup level of rows `width` ms long: bucket [lo, hi) (clipped to the
// query range; $6/$7 are its start/end in epoch ms) = raw samples in [lo, a] + the rollup
// rows (s, s + width] inside (a, z] + raw samples in (z, hi), with a/z the first/last
// whole-row edge inside. A row whose min or max is not finite (NaN, ±Inf, which cannot
// be drawn) is read from its raw samples instead. Each piece (an edge, a minute) carries its time
// span [p0, p1] in epoch ms; min(ARRAY[value, p0, p1]) finds the bucket minimum and
// the earliest piece holding it, max(...) the maximum and the latest piece, so the
// probes for the time of each extreme scan one piece (≤ one row) instead of the
// whole bucket. As in MINMAX_SQL, the earliest minimum and the latest maximum are
// returned. (Which of 0 and -0 is the extreme when both occur is not defined, here
// or in MINMAX_SQL; JSON does not tell them apart.)
const EDGE = (where: string, p0: string, p1: string) => `
    SELECT series_id AS id, count(*) AS n, min(value) AS mn, max(value) AS mx, ${p0} AS p0, ${p1} AS p1 FROM samples
    WHERE series_id = ANY($1::int[]) AND ${where} AND ${FINITE("value")}
    GROUP BY series_id`;
function rollupMinMaxSql(table: "samples_1m" | "samples_5m", width: number): string {
  return `
SELECT a.id, g.i, a.n, a.lo_first[1] AS lo, a.hi_last[1] AS hi,
  (SELECT ${EPOCH_MS("ts")} FROM samples WHERE series_id = a.id AND ts >= to_timestamp(a.lo_first[2] / 1000) AND ts <= to_timestamp(a.lo_first[3] / 1000)
    AND value = a.lo_first[1] ORDER BY ts LIMIT 1) AS lo_t,
  (SELECT ${EPOCH_MS("ts")} FROM samples WHERE series_id = a.id AND ts >= to_timestamp(a.hi_last[2] / 1000) AND ts <= to_timestamp(a.hi_last[3] / 1000)
    AND value = a.hi_last[1] ORDER BY ts DESC LIMIT 1) AS hi_t
FROM ${BUCKETS}
CROSS JOIN LATERAL (
  SELECT r.lo_ms, r.hi_ms, ceil((r.lo_ms - 1) / ${width}) * ${width} AS a_ms, floor((r.hi_ms - 1) / ${width}) * ${width} AS z_ms
  FROM (SELECT greatest($5::float8 + g.i * $4::float8, $6::float8) AS lo_ms, least($5::float8 + (g.i + 1) * $4::float8, $7::float8 + 1) AS hi_ms) r
) r
CROSS JOIN LATERAL (
  SELECT to_timestamp(r.lo_ms / 1000) AS lo, to_timestamp(r.hi_ms / 1000) AS hi, to_timestamp(r.a_ms / 1000) AS a, to_timestamp(r.z_ms / 1000) AS z
) e
CROSS JOIN LATERAL (
  SELECT id, sum(n)::float8 AS n, min(ARRAY[mn, p0, p1]) AS lo_first, max(ARRAY[mx, p0, p1]) AS hi_last
  FROM (
    ${EDGE("ts >= e.lo AND ts <= e.a AND ts < e.hi", "r.lo_ms", "least(r.a_ms, r.hi_ms - 1)")}
    UNION ALL
    SELECT series_id, n, min_v, max_v, ${MS("bucket")} + 1, ${MS("bucket")} + ${width} FROM ${table}
    WHERE series_id = ANY($1::int[]) AND bucket >= e.a AND bucket < e.z AND ${FINITE("min_v")} AND ${FINITE("max_v")}
    UNION ALL
    SELECT s.series_id, count(*), min(s.value), max(s.value), ${MS("m.bucket")} + 1, ${MS("m.bucket")} + ${width}
    FROM ${table} m JOIN samples s ON s.series_id = m.series_id AND s.ts > m.bucket AND s.ts <= m.bucket + interval '${width / 1000} seconds'
    WHERE m.series_id = ANY($1::int[]) AND m.bucket >= e.a AND m.bucket < e.z AND NOT (${FINITE("m.min_v")} AND ${FINITE("m.max_v")}) AND ${FINITE("s.value")}
    GROUP BY s.series_id, m.bucket
    UNION ALL
    ${EDGE("ts > greatest(e.z, e.a) AND ts < e.hi", "greatest(r.z_ms, r.a_ms) + 1", "r.hi_ms - 1")}
  ) p
  GROUP BY id
) a`;
}
const ROLLUP_MINMAX_SQL = rollupMinMaxSql("samples_1m", 60_000);
const ROLLUP_5M_MINMAX_SQL = rollupMinMaxSql("samples_5m", FIVE_MINUTES_MS);

/** Whether a min/max plan's buckets are whole five-minute blocks (then the 5-minute rollup answers all but the range's ends). */
export function minMaxFiveMinuteAligned(plan: MinMaxPlan): boolean {
  return alignedTo(plan, FIVE_MINUTES_MS);
}

/** Bucket rows handled between two turns of the event loop. */
const ROWS_PER_SLICE = 10_000;

/**
 * Plans of more buckets than this first ask where the series' samples are (two index probes
 * per series) and read and hold only that span of buckets: a week at 1-minute steps with a
 * month-long window is 54,720 buckets per series, most of them before any sample exists.
 */
export const SPAN_MIN_BUCKETS = 2_048;

// The first and last sample time of the series within (lo, hi], epoch ms; null when none.
const EXTENT_SQL = `
SELECT ${EPOCH_MS("min(f.ts)")} AS first, ${EPOCH_MS("max(l.ts)")} AS last
FROM unnest($1::int[]) AS s(id)
CROSS JOIN LATERAL (SELECT ts FROM samples WHERE series_id = s.id AND ts > to_timestamp($2::float8 / 1000) AND ts <= to_timestamp($3::float8 / 1000) ORDER BY ts LIMIT 1) f
CROSS JOIN LATERAL (SELECT ts FROM samples WHERE series_id = s.id AND ts > to_timestamp($2::float8 / 1000) AND ts <= to_timestamp($3::float8 / 1000) ORDER BY ts DESC LIMIT 1) l`;

/** The buckets of a plan a query reads and holds: `offset` … offset + length − 1. */
interface BucketSpan {
  offset: number;
  length: number;
}

/**
 * The buckets of an eval plan that hold samples between `first` and `last` (epoch ms): bucket j
 * is (origin + j·stride, origin + j·stride + bucketMs].
 */
export function bucketSpan(plan: EvalPlan, first: number, last: number): BucketSpan {
  const lo = Math.max(0, Math.ceil((first - plan.origin - plan.bucketMs) / plan.strideMs));
  const hi = Math.min(plan.buckets - 1, Math.ceil((last - plan.origin) / plan.strideMs) - 1);
  return hi < lo ? { offset: 0, length: 0 } : { offset: lo, length: hi - lo + 1 };
}

export interface SampleSourceOptions {
  parallelism?: number;
  rollup?: boolean;
  seriesScan?: boolean;
  fiveMinute?: boolean;
  onCounterLevel?: (level: CounterLevel) => void;
}

/**
 * The Postgres side of queries: finds series and computes per-bucket aggregates in
 * SQL (so a week of 1 s samples crosses the wire as ~1,000 rows), fanning each
 * query out over `parallelism` connections.
 */
export class PgSampleSource implements SampleSource {
  private readonly parallelism: number;
  private readonly levels: CounterLevelOptions;
  private readonly onCounterLevel?: (level: CounterLevel) => void;

  /**
   * `rollup: false` reads counters and raw min/max from raw samples only (the reference path);
   * `seriesScan: false` reads minute-aligned counter buckets from the rollup bucket by bucket,
   * as unaligned ones are (the earlier path, for tests and benchmarks); `fiveMinute: false`
   * reads five-minute-aligned counter buckets from the 1-minute rollup (the path before
   * `samples_5m`, for tests and benchmarks). `onCounterLevel` hears where each counter query was read.
   */
  constructor(
    private readonly pool: pg.Pool,
    options: SampleSourceOptions = {},
  ) {
    this.parallelism = Math.max(1, options.parallelism ?? 2);
    this.levels = { rollup: options.rollup ?? true, seriesScan: options.seriesScan ?? true, fiveMinute: options.fiveMinute ?? true };
    this.onCounterLevel = options.onCounterLevel;
  }

  /**
   * `having` is tested in SQL (jsonb containment), so the series of a busy metric that other
   * controllers or pods own are neither sent nor parsed: a week-long controller-page query
   * on a metric with thousands of series spent more in this than in its samples.
   */
  async findSeries(metrics: readonly string[], having: Readonly<Record<string, string>> = {}): Promise<StoredSeries[]> {
    const { rows } = await this.pool.query<{ id: number; metric: string; labels: unknown; type: string }>(
      "SELECT id, metric, labels, type FROM series WHERE metric = ANY($1::text[]) AND labels @> $2::jsonb",
      [metrics, JSON.stringify(having)],
    );
    return rows.map((r) => ({ id: r.id, metric: r.metric, labels: labelsSchema.parse(r.labels), type: r.type }));
  }

  async minMaxBuckets(ids: readonly number[], plan: MinMaxPlan, ctx?: QueryContext): Promise<Map<number, (MinMaxBucket | undefined)[]>> {
    const out = new Map<number, (MinMaxBucket | undefined)[]>(ids.map((id) => [id, new Array(plan.buckets).fill(undefined)]));
    const rollup = this.levels.rollup && plan.bucketMs >= ROLLUP_MIN_MINMAX_BUCKET_MS;
    const [sql, extra] = !rollup
      ? [MINMAX_SQL, [new Date(plan.start), new Date(plan.end)]]
      : [this.levels.fiveMinute && minMaxFiveMinuteAligned(plan) ? ROLLUP_5M_MINMAX_SQL : ROLLUP_MINMAX_SQL, [plan.start, plan.end]];
    await this.run(ids, plan, sql, extra, ctx, (row, j) => {
      const target = out.get(row.id);
      if (!target) return;
      target[j] = { count: row.n, minV: row.lo, minT: Math.round(row.lo_t), maxV: row.hi, maxT: Math.round(row.hi_t) };
    });
    return out;
  }

  async counterBuckets(ids: readonly number[], plan: EvalPlan, ctx?: QueryContext): Promise<Map<number, CounterBuckets>> {
    const span = await this.span(ids, plan, ctx);
    const out = new Map<number, CounterBuckets>(ids.map((id) => [id, emptyCounterBuckets(span.length, span.offset)]));
    const level = counterLevel(plan, this.levels);
    this.onCounterLevel?.(level);
    await this.run(ids, plan, COUNTER_LEVEL_SQL[level], [plan.strideMs], ctx, (row, j) => {
      const b = out.get(row.id);
      if (!b) return;
      b.count[j] = row.n;
      b.firstT[j] = Math.round(row.t0);
      b.lastT[j] = Math.round(row.t1);
      b.firstV[j] = row.fv;
      b.lastV[j] = row.lv;
      b.increase[j] = row.inc;
    }, span);
    return out;
  }

  async regressionBuckets(ids: readonly number[], plan: EvalPlan, ctx?: QueryContext): Promise<Map<number, RegressionBuckets>> {
    const span = await this.span(ids, plan, ctx);
    const out = new Map<number, RegressionBuckets>(ids.map((id) => [id, emptyRegressionBuckets(span.length, span.offset)]));
    await this.run(ids, plan, REGRESSION_SQL, [plan.strideMs], ctx, (row, j) => {
      const b = out.get(row.id);
      if (!b) return;
      b.count[j] = row.n;
      b.sumX[j] = row.sx;
      b.sumY[j] = row.sy;
      b.sumXX[j] = row.sxx;
      b.sumXY[j] = row.sxy;
    }, span);
    return out;
  }

  async valueBuckets(ids: readonly number[], plan: EvalPlan, ctx?: QueryContext): Promise<Map<number, ValueBuckets>> {
    const out = new Map<number, ValueBuckets>(ids.map((id) => [id, emptyValueBuckets(plan.buckets)]));
    await this.run(ids, plan, VALUE_SQL, [plan.strideMs], ctx, (row, j) => {
      const b = out.get(row.id);
      if (!b) return;
      b.count[j] = row.n;
      b.min[j] = row.lo;
      b.max[j] = row.hi;
      b.lastT[j] = Math.round(row.lt);
      b.lastV[j] = row.lv;
    });
    return out;
  }

  async staleMarkers(ids: readonly number[], from: number, to: number): Promise<Map<number, number[]>> {
    const out = new Map<number, number[]>();
    if (ids.length === 0) return out;
    const { rows } = await this.pool.query<{ id: number; t: number }>(
      `SELECT series_id AS id, ${EPOCH_MS("ts")} AS t FROM stale_markers
       WHERE series_id = ANY($1::int[]) AND ts > to_timestamp($2::float8 / 1000) AND ts <= to_timestamp($3::float8 / 1000) ORDER BY series_id, ts`,
      [ids, from, to],
    );
    for (const row of rows) {
      const list = out.get(row.id) ?? [];
      list.push(Math.round(row.t));
      out.set(row.id, list);
    }
    return out;
  }

  /** Where the series' samples are in the plan's buckets (all of them for short plans). */
  private async span(ids: readonly number[], plan: EvalPlan, ctx: QueryContext | undefined): Promise<BucketSpan> {
    const all = { offset: 0, length: plan.buckets };
    if (plan.buckets <= SPAN_MIN_BUCKETS || ids.length === 0) return all;
    const to = plan.origin + (plan.buckets - 1) * plan.strideMs + plan.bucketMs;
    const { rows } = await this.statement<{ first: number | null; last: number | null }>(EXTENT_SQL, [ids, plan.origin, to], ctx);
    const { first, last } = rows[0] ?? { first: null, last: null };
    return first === null || last === null ? { offset: 0, length: 0 } : bucketSpan(plan, Math.round(first), Math.round(last));
  }

  /**
   * Runs a bucket query for each task (concurrently); `onRow` gets the bucket's array index
   * (its index in `span`, all of the plan's buckets by default).
   * Each row's sample count goes to the query's budget; the query's deadline is each
   * statement's statement_timeout, and when the query is cancelled (deadline, or the
   * client went away) the running statements are cancelled in Postgres too (the
   * protocol's cancel request, as psql's Ctrl-C).
   */
  private async run(
    ids: readonly number[],
    plan: MinMaxPlan | EvalPlan,
    sql: string,
    extra: unknown[],
    ctx: QueryContext | undefined,
    onRow: (row: BucketRow, j: number) => void,
    span: BucketSpan = { offset: 0, length: plan.buckets },
  ): Promise<void> {
    const tasks = splitWork(ids, span.length, Math.min(this.parallelism, ctx?.parallelism ?? this.parallelism));
    const results = await Promise.all(
      tasks.map((task) => this.statement<BucketRow>(sql, [task.ids, span.offset + task.from, span.offset + task.to - 1, plan.bucketMs, plan.origin, ...extra], ctx)),
    );
    for (const result of results) {
      for (let r = 0; r < result.rows.length; r += 1) {
        // Large answers are taken in slices, so health checks and cheap queries are answered meanwhile.
        if (r > 0 && r % ROWS_PER_SLICE === 0) await yieldToEventLoop(ctx);
        const row = result.rows[r];
        const j = row.i - span.offset;
        if (j >= 0 && j < span.length) {
          ctx?.budget?.add(row.n ?? 0);
          onRow(row, j);
        }
      }
    }
  }

  /** One statement on its own connection, bounded by the query's deadline and cancelled with it. */
  private async statement<R extends pg.QueryResultRow>(sql: string, params: unknown[], ctx: QueryContext | undefined): Promise<pg.QueryResult<R>> {
    if (!ctx?.signal && ctx?.deadline === undefined) return this.pool.query<R>(sql, params);
    ctx.signal?.throwIfAborted();
    const client = await this.pool.connect();
    const cancel = () => {
      const active = (client as unknown as { activeQuery?: unknown }).activeQuery;
      // pg's Client#cancel (untyped): a CancelRequest over a fresh socket, no login needed.
      if (active) (new pg.Client(this.pool.options) as unknown as { cancel(target: pg.PoolClient, query: unknown): void }).cancel(client, active);
    };
    ctx.signal?.addEventListener("abort", cancel, { once: true });
    let timed = false;
    try {
      if (ctx.deadline !== undefined) {
        await client.query(`SET statement_timeout = ${Math.max(1, Math.ceil(ctx.deadline - Date.now()))}`);
        timed = true;
      }
      return await client.query<R>(sql, params);
    } catch (error) {
      if (ctx.signal?.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new QueryCancelledError("query cancelled", "client-closed");
      if ((error as { code?: string }).code === "57014") throw new QueryCancelledError("query took longer than its deadline and was cancelled", "timeout");
      throw error;
    } finally {
      ctx.signal?.removeEventListener("abort", cancel);
      if (timed) await client.query("RESET statement_timeout").catch(() => undefined);
      client.release();
    }
  }
}
