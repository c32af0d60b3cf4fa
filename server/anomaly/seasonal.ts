/**
 * Seasonal profiles: the typical shape of a series over the day (15-minute buckets)
 * and, on top of that, over the week (1-hour buckets). A profile only takes part in
 * prediction once it has seen at least `minSeasons` seasons (3 days for the daily
 * profile, 3 weeks for the weekly one), as Datadog's seasonal detectors require.
 *
 * Each bucket remembers, for its last few visits (one per season), the least-squares
 * line through the visit's points (level at the bucket's centre and slope across
 * it), and the profile uses the median of those. A line per bucket follows both
 * ramps (a business-hours rise) and steps at bucket edges (weekends, crons on the
 * hour); the median means one anomalous day does not teach a false pattern while a
 * pattern that recurs on most days is learned. Times are UTC.
 */
export interface SeasonalProfileState {
  /** Per bucket, [level at centre, slope per bucket] of its most recent visits, oldest first. */
  visits: Array<Array<[number, number]>>;
  /** Absolute bucket number (ts / bucketMs) of the visit being accumulated, or null. */
  open: number | null;
  /** Least-squares sums of the open visit (u = position in the bucket, −0.5 … 0.5). */
  n: number;
  su: number;
  suu: number;
  sv: number;
  suv: number;
}

export interface SeasonalityState {
  daily: SeasonalProfileState;
  weekly: SeasonalProfileState;
}

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** Share of buckets that must have `minSeasons` visits before a profile is used. */
const COVERAGE = 0.9;
/** A profile needs at least this many visited buckets to describe a shape. */
const MIN_VISITED_BUCKETS = 12;

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Seven significant digits are plenty for a profile and keep the stored state small. */
function compact(x: number): number {
  return Number(x.toPrecision(7));
}

class SeasonalProfile {
  readonly buckets: number;
  private readonly visits: Array<Array<[number, number]>>;
  private open: number | null;
  private n: number;
  private su: number;
  private suu: number;
  private sv: number;
  private suv: number;
  /** Per bucket, the median level of its visits (NaN: none yet) and the median slope. */
  private readonly levels: Float64Array;
  private readonly slopes: Float64Array;
  /** Sum and number of known bucket levels (offsets are relative to their mean). */
  private levelSum = 0;
  private levelCount = 0;
  private seasoned = 0;
  private readonly seasonedFlags: Uint8Array;

  constructor(
    readonly periodMs: number,
    readonly bucketMs: number,
    readonly keep: number,
    readonly minSeasons: number,
    state?: SeasonalProfileState,
  ) {
    this.buckets = Math.round(periodMs / bucketMs);
    this.visits = state ? state.visits.map((v) => v.map(([a, b]): [number, number] => [a, b])) : Array.from({ length: this.buckets }, () => []);
    if (this.visits.length !== this.buckets) throw new Error(`seasonal state has ${this.visits.length} buckets, expected ${this.buckets}`);
    this.open = state?.open ?? null;
    this.n = state?.n ?? 0;
    this.su = state?.su ?? 0;
    this.suu = state?.suu ?? 0;
    this.sv = state?.sv ?? 0;
    this.suv = state?.suv ?? 0;
    this.levels = new Float64Array(this.buckets).fill(Number.NaN);
    this.slopes = new Float64Array(this.buckets);
    this.seasonedFlags = new Uint8Array(this.buckets);
    for (let slot = 0; slot < this.buckets; slot += 1) this.recompute(slot);
  }

  /** Closes the open visit when `ts` falls in another bucket; true when a visit was committed. */
  advance(ts: number): boolean {
    const bucket = Math.floor(ts / this.bucketMs);
    if (this.open === bucket) return false;
    let committed = false;
    if (this.open !== null && this.n > 0) {
      const slot = this.slotOf(this.open);
      const list = this.visits[slot];
      list.push(this.fitOpenVisit());
      if (list.length > this.keep) list.shift();
      this.recompute(slot);
      committed = true;
    }
    this.open = bucket;
    this.n = 0;
    this.su = 0;
    this.suu = 0;
    this.sv = 0;
    this.suv = 0;
    return committed;
  }

  /** Level at the bucket centre and slope of the open visit (flat when it has too few points). */
  private fitOpenVisit(): [number, number] {
    const { n, su, suu, sv, suv } = this;
    const denominator = n * suu - su * su;
    // A slope needs a few points spread over a good part of the bucket.
    const slope = n >= 3 && denominator > 0.01 * n * n ? (n * suv - su * sv) / denominator : 0;
    return [compact((sv - slope * su) / n), compact(slope)];
  }

  add(ts: number, value: number): void {
    const u = ts / this.bucketMs - (this.open ?? Math.floor(ts / this.bucketMs)) - 0.5;
    this.n += 1;
    this.su += u;
    this.suu += u * u;
    this.sv += value;
    this.suv += u * value;
  }

  /**
   * Used once most buckets the series visits have `minSeasons` visits: a series sampled
   * less often than the bucket size (hourly data, 15-minute daily buckets) visits only
   * some buckets, and is judged on those.
   */
  get active(): boolean {
    return this.levelCount >= Math.min(MIN_VISITED_BUCKETS, this.buckets) && this.seasoned >= COVERAGE * this.levelCount;
  }

  /** The learned offset at `ts` from the profile's mean level; 0 before any data. */
  offsetAt(ts: number): number {
    const bucket = Math.floor(ts / this.bucketMs);
    const slot = this.slotOf(bucket);
    const level = this.levels[slot];
    if (Number.isNaN(level)) return 0;
    return level - this.levelSum / this.levelCount + this.slopes[slot] * (ts / this.bucketMs - bucket - 0.5);
  }

  private slotOf(bucket: number): number {
    return ((bucket % this.buckets) + this.buckets) % this.buckets;
  }

  /** Updates one bucket's median level and slope (and the sums over all buckets) after its visits changed. */
  private recompute(slot: number): void {
    const visits = this.visits[slot];
    const old = this.levels[slot];
    if (!Number.isNaN(old)) {
      this.levelSum -= old;
      this.levelCount -= 1;
    }
    const level = visits.length > 0 ? median(visits.map((x) => x[0])) : Number.NaN;
    this.levels[slot] = level;
    this.slopes[slot] = visits.length > 0 ? median(visits.map((x) => x[1])) : 0;
    if (!Number.isNaN(level)) {
      this.levelSum += level;
      this.levelCount += 1;
    }
    const seasoned = visits.length >= this.minSeasons ? 1 : 0;
    this.seasoned += seasoned - this.seasonedFlags[slot];
    this.seasonedFlags[slot] = seasoned;
  }

  toState(): SeasonalProfileState {
    return {
      visits: this.visits.map((v) => v.map(([a, b]): [number, number] => [a, b])),
      open: this.open,
      n: this.n,
      su: this.su,
      suu: this.suu,
      sv: this.sv,
      suv: this.suv,
    };
  }
}

/**
 * Daily (96 × 15 min, last 5 days) and weekly (168 × 1 h, last 4 weeks) profiles.
 * The weekly profile learns what is left after the daily one, so the two add up.
 */
export class Seasonality {
  private readonly daily: SeasonalProfile;
  private readonly weekly: SeasonalProfile;

  constructor(minSeasons: number, state?: SeasonalityState) {
    this.daily = new SeasonalProfile(DAY_MS, 15 * 60_000, 5, minSeasons, state?.daily);
    this.weekly = new SeasonalProfile(WEEK_MS, 60 * 60_000, 4, minSeasons, state?.weekly);
  }

  /**
   * Moves to the bucket of `ts`, committing finished visits. Returns true when the
   * offsets used for prediction changed (so stored deseasonalised values must be redone).
   */
  advance(ts: number): boolean {
    const dailyWas = this.daily.active;
    const weeklyWas = this.weekly.active;
    const dailyCommitted = this.daily.advance(ts);
    const weeklyCommitted = this.weekly.advance(ts);
    return (dailyCommitted && (dailyWas || this.daily.active)) || (weeklyCommitted && (weeklyWas || this.weekly.active));
  }

  /** Learns from a raw value at `ts` (after `advance(ts)`). */
  add(ts: number, value: number): void {
    this.daily.add(ts, value);
    this.weekly.add(ts, value - (this.daily.active ? this.daily.offsetAt(ts) : 0));
  }

  /** The seasonal part of the expected value at `ts` (0 until a profile is active). */
  offset(ts: number): number {
    let s = 0;
    if (this.daily.active) s += this.daily.offsetAt(ts);
    if (this.weekly.active) s += this.weekly.offsetAt(ts);
    return s;
  }

  /** Which profiles currently take part: "none", "daily", "weekly" or "daily+weekly". */
  describe(): string {
    const parts = [this.daily.active ? "daily" : "", this.weekly.active ? "weekly" : ""].filter(Boolean);
    return parts.length > 0 ? parts.join("+") : "none";
  }

  toState(): SeasonalityState {
    return { daily: this.daily.toState(), weekly: this.weekly.toState() };
  }
}
