/**
 * The time partitions of `samples`, `samples_1m` and `samples_5m`: one per UTC day, named after it.
 * Pure: names and bounds only, no I/O.
 *
 * A rollup row `bucket = s` summarises the samples with ts in the left-open minute
 * (s, s + 60 s]. So that a day's rollup rows and the samples they summarise live in
 * partitions of the same day (and retention can drop both without recomputing a
 * minute), a day D's partitions are:
 * - `samples_pYYYYMMDD`: ts in (D, D + 1 day], i.e. [D + 1 ms, D + 1 day + 1 ms) at the
 *   column's millisecond precision;
 * - `samples_1m_pYYYYMMDD`: bucket in [D, D + 1 day);
 * - `samples_5m_pYYYYMMDD`: bucket in [D, D + 1 day) (a block (s, s + 5 min] and its
 *   minutes are on the same day: a day is a whole number of blocks).
 */

export const DAY_MS = 86_400_000;

export interface DayPartition {
  /** The UTC day, as epoch ms of its midnight. */
  readonly day: number;
  /** YYYYMMDD. */
  readonly suffix: string;
  readonly samples: { readonly name: string; readonly from: number; readonly to: number };
  readonly rollup: { readonly name: string; readonly from: number; readonly to: number };
  readonly rollup5m: { readonly name: string; readonly from: number; readonly to: number };
}

/** The UTC midnight of the day whose `samples` partition holds a sample stamped `ts` (epoch ms). */
export function sampleDay(ts: number): number {
  return Math.floor((ts - 1) / DAY_MS) * DAY_MS;
}

/** The UTC midnight of the day whose `samples_1m` partition holds the rollup row of `bucket` (epoch ms). */
export function rollupDay(bucket: number): number {
  return Math.floor(bucket / DAY_MS) * DAY_MS;
}

function suffixOf(day: number): string {
  const iso = new Date(day).toISOString(); // ±YYYYYY for years beyond 9999 never happens: ingest refuses them
  return iso.slice(0, 10).replaceAll("-", "");
}

export function dayPartition(day: number): DayPartition {
  if (day % DAY_MS !== 0) throw new Error(`not a UTC midnight: ${day}`);
  const suffix = suffixOf(day);
  return {
    day,
    suffix,
    samples: { name: `samples_p${suffix}`, from: day + 1, to: day + DAY_MS + 1 },
    rollup: { name: `samples_1m_p${suffix}`, from: day, to: day + DAY_MS },
    rollup5m: { name: `samples_5m_p${suffix}`, from: day, to: day + DAY_MS },
  };
}

const NAME = /^samples_p(\d{4})(\d{2})(\d{2})$/;

/** The day of a `samples` partition named by {@link dayPartition}, or undefined for any other name. */
export function dayOfPartitionName(name: string): number | undefined {
  const match = NAME.exec(name);
  if (!match) return undefined;
  const day = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return suffixOf(day) === `${match[1]}${match[2]}${match[3]}` ? day : undefined;
}

/** The distinct days whose `samples` partitions the given sample times need, ascending. */
export function daysOfSamples(ts: ArrayLike<number>): number[] {
  const days = new Set<number>();
  for (let i = 0; i < ts.length; i += 1) days.add(sampleDay(ts[i]));
  return [...days].sort((a, b) => a - b);
}

/** The days from `now`'s day − `behind` to + `ahead` (the partitions kept ready ahead of writes). */
export function daysAround(now: number, behind: number, ahead: number): number[] {
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  const days: number[] = [];
  for (let i = -behind; i <= ahead; i += 1) days.push(today + i * DAY_MS);
  return days;
}

/**
 * Whether every sample a day's partitions can hold is older than `cutoff` (epoch ms):
 * the day's samples partition ends at D + 1 day inclusive, so it expires once
 * D + 1 day < cutoff. Its rollup rows summarise exactly those samples.
 */
export function dayExpired(day: number, cutoff: number): boolean {
  return day + DAY_MS < cutoff;
}

/** A bound as a Postgres timestamptz literal (UTC, millisecond precision). */
export function boundLiteral(ms: number): string {
  return `${new Date(ms).toISOString().replace("T", " ").replace("Z", "")}+00`;
}
