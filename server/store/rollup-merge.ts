/**
 * The pure side of keeping `samples_1m` up to date: grouping a batch of samples by
 * (series, rollup minute), and extending a stored rollup row with samples newer than
 * everything it covers. The arithmetic mirrors the SQL summary in rollup.ts step by
 * step (Postgres float8 ordering, where NaN sorts above every number; sums folded in
 * time order; on ties min()/max() keep the later value), so an extended row is
 * bit-for-bit the row a recompute from the stored samples would produce.
 */

/** Width of a rollup row: row `bucket` = s covers samples with ts in (s, s + MINUTE_MS]. */
export const MINUTE_MS = 60_000;

/** The start s of the left-open minute (s, s + 60 s] that holds epoch-ms time t. */
export function rollupMinute(t: number): number {
  return Math.ceil(t / MINUTE_MS) * MINUTE_MS - MINUTE_MS;
}

/** Sample columns: series id, epoch ms, value. */
export interface SampleColumns {
  readonly seriesIds: ArrayLike<number>;
  readonly ts: ArrayLike<number>;
  readonly values: ArrayLike<number>;
  readonly length: number;
}

/** One `samples_1m` row; times in epoch ms. */
export interface RollupRow {
  seriesId: number;
  bucket: number;
  n: number;
  firstTs: number;
  firstV: number;
  lastTs: number;
  lastV: number;
  inc: number;
  minV: number;
  maxV: number;
}

/** The samples of one batch that fall into one (series, minute). */
export interface MinuteGroup {
  seriesId: number;
  /** Minute start, epoch ms. */
  bucket: number;
  /** Indexes into the batch, in ts order once the grouping is done. */
  samples: number[];
  /** Two samples of the batch share a timestamp: which one is stored is up to Postgres. */
  repeatsTs: boolean;
}

/** Groups a batch by (series, minute); each group's samples end up in ts order. */
export function groupByMinute(rows: SampleColumns): MinuteGroup[] {
  const bySeries = new Map<number, Map<number, MinuteGroup>>();
  const groups: MinuteGroup[] = [];
  const unsorted = new Set<MinuteGroup>();
  for (let i = 0; i < rows.length; i += 1) {
    const id = rows.seriesIds[i];
    const t = rows.ts[i];
    const bucket = rollupMinute(t);
    let minutes = bySeries.get(id);
    if (!minutes) {
      minutes = new Map();
      bySeries.set(id, minutes);
    }
    let group = minutes.get(bucket);
    if (!group) {
      group = { seriesId: id, bucket, samples: [], repeatsTs: false };
      minutes.set(bucket, group);
      groups.push(group);
    } else if (t <= rows.ts[group.samples[group.samples.length - 1]]) {
      unsorted.add(group);
    }
    group.samples.push(i);
  }
  for (const group of unsorted) {
    // A stable sort keeps batch order among equal timestamps.
    group.samples.sort((a, b) => rows.ts[a] - rows.ts[b]);
    for (let k = 1; k < group.samples.length; k += 1) {
      if (rows.ts[group.samples[k]] === rows.ts[group.samples[k - 1]]) group.repeatsTs = true;
    }
  }
  return groups;
}

/** a < b in Postgres float8 order (NaN equals NaN and is above +Infinity). */
function pgLess(a: number, b: number): boolean {
  if (Number.isNaN(b)) return !Number.isNaN(a);
  if (Number.isNaN(a)) return false;
  return a < b;
}

/**
 * The rollup row after appending the group's samples to `stored` (undefined: the
 * minute has no stored samples yet). Returns undefined when appending is not exact
 * and the minute must be recomputed from the stored samples instead: a sample at or
 * before the row's last sample (late, or a replay the insert may have skipped), or a
 * timestamp repeated inside the batch.
 */
export function appendToRollup(stored: RollupRow | undefined, group: MinuteGroup, rows: SampleColumns): RollupRow | undefined {
  if (group.repeatsTs) return undefined;
  const idx = group.samples;
  const first = idx[0];
  if (stored && rows.ts[first] <= stored.lastTs) return undefined;
  let n = stored ? stored.n : 0;
  // The SQL sum over the consecutive steps is NULL (then 0) until there is a step; the
  // fold continues from the stored sum only when the stored row already had one.
  let inc: number | undefined = stored && stored.n > 1 ? stored.inc : undefined;
  let prev = stored ? stored.lastV : Number.NaN;
  let minV = stored ? stored.minV : rows.values[first];
  let maxV = stored ? stored.maxV : rows.values[first];
  for (let k = 0; k < idx.length; k += 1) {
    const v = rows.values[idx[k]];
    if (n > 0) {
      // (v ≥ prev ? v − prev : v), with Postgres' NaN ordering.
      const step = pgLess(v, prev) ? v : v - prev;
      inc = inc === undefined ? step : inc + step;
      // min()/max() keep the later of two equal values (float8smaller/larger).
      if (!pgLess(minV, v)) minV = v;
      if (!pgLess(v, maxV)) maxV = v;
    }
    prev = v;
    n += 1;
  }
  const last = idx[idx.length - 1];
  return {
    seriesId: group.seriesId,
    bucket: group.bucket,
    n,
    firstTs: stored ? stored.firstTs : rows.ts[first],
    firstV: stored ? stored.firstV : rows.values[first],
    lastTs: rows.ts[last],
    lastV: rows.values[last],
    inc: inc ?? 0,
    minV,
    maxV,
  };
}

/** A float8[] literal that keeps every double exactly (including -0, NaN and ±Infinity). */
export function float8ArrayLiteral(values: readonly number[]): string {
  let out = "{";
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i];
    if (i > 0) out += ",";
    out += Object.is(v, -0) ? "-0" : String(v);
  }
  return `${out}}`;
}
