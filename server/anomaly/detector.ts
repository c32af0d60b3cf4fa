import { z } from "zod";
import { decodePoints, encodePoints, type OffsetFn, RobustBaseline } from "./baseline";
import { Seasonality } from "./seasonal";
import { DEFAULT_SENSITIVITY, type Sensitivity, thresholdsFor } from "./sensitivity";
import { CounterRecognizer, counterStateSchema } from "./counter";
import { type CountPrior, CountModel, countModelStateSchema, DEFAULT_COUNT_PRIOR, normalUpperTail, zOfUpperTail } from "./count-test";
import { RangeNovelty, rangeStateSchema } from "./range-novelty";
import { type Evidence, RUN_POINTS, SurpriseCalibrator, scoreFromProbability, surpriseStateSchema } from "./surprise";

/** The name recorded with every window this detector produces. */
export const DETECTOR_NAME = "robust-seasonal-surprise-v3";

export type Direction = "above" | "below";

/**
 * What values the quantity can take, so bands respect it: "nonNegative" (counts, depths,
 * durations, rates, bytes), "unit" (ratios in [0, 1]), "any", or "auto": floored at 0
 * as long as the series has never been negative.
 */
export const VALUE_DOMAINS = ["auto", "nonNegative", "unit", "any"] as const;
export type ValueDomain = (typeof VALUE_DOMAINS)[number];
export type DirectionFilter = Direction | "both";

/** Learned-state parameters; fixed for the life of a detector state (stored with it). */
export interface DetectorParams {
  /** Time span of the rolling baseline (level = median, spread = median deviation above and below)… */
  windowMs: number;
  /** …holding at most this many points… */
  windowPoints: number;
  /** …and at least this many, however old (sparse series). */
  windowMinPoints: number;
  /** Points to learn after a start or a long gap before points are scored. */
  warmupPoints: number;
  /** Minimum spread as a share of the expected value (flat series do not alarm on noise). */
  relativeFloor: number;
  /** Minimum spread in the series' own unit. */
  absoluteFloor: number;
  /** Minimum spread when every baseline value is a whole number (counts, depths, workers). */
  integralFloor: number;
  /** A gap longer than this (and than 10 usual intervals) forgets the short-term baseline (restarts, outages). */
  gapResetMs: number;
  /** A shift that persists this long becomes the new normal (Datadog "agile"-like). */
  adaptAfterMs: number;
  /** For this long after adapting, a return to the previous level is not an anomaly. */
  memoryMs: number;
  /** Learn daily/weekly profiles and use them once `minSeasons` seasons exist. */
  seasonality: boolean;
  minSeasons: number;
  /** The values the quantity can take (bands are clipped to it). */
  domain: ValueDomain;
  /** For a ratio judged by its counts: the usual ratio believed before its own counts (see count-test.ts). */
  countPrior: CountPrior;
}

export const DEFAULT_DETECTOR_PARAMS: DetectorParams = {
  windowMs: 60 * 60_000,
  windowPoints: 720,
  windowMinPoints: 60,
  warmupPoints: 20,
  relativeFloor: 0.02,
  absoluteFloor: 1e-6,
  integralFloor: 0.6,
  gapResetMs: 15 * 60_000,
  adaptAfterMs: 10 * 60_000,
  memoryMs: 60 * 60_000,
  seasonality: true,
  minSeasons: 3,
  domain: "auto",
  countPrior: DEFAULT_COUNT_PRIOR,
};

/** Per-evaluation choices a user may change at any time without losing learned state. */
export interface DetectorOptions {
  sensitivity: Sensitivity;
  /** Which deviations are reported; the other side scores 0 (it is still not learned as normal). */
  direction: DirectionFilter;
}

export const DEFAULT_DETECTOR_OPTIONS: DetectorOptions = { sensitivity: DEFAULT_SENSITIVITY, direction: "both" };

/**
 * The events behind a ratio point (see count-test.ts): `trials` events of the whole in its
 * window, and the share of the window this step adds (step / window).
 */
export interface PointCounts {
  trials: number;
  share: number;
}

/** One input point with its score and the band it was expected in. */
export interface ScoredPoint {
  ts: number;
  value: number;
  /** 0 (as expected) … 1 (far outside). */
  score: number;
  /** Robust deviation in σ on the side the point fell (0 while learning). */
  z: number;
  direction: Direction;
  /** Expected value and band; null while the baseline is still being learned. */
  expected: number | null;
  lower: number | null;
  upper: number | null;
  /** When the score rests on a sustained departure: the time it began (windows start there). */
  sustainedSince?: number;
  /**
   * The score as news: discounted by how long the departure has already been seen
   * (halved every NOVELTY_HALF_LIFE points of one out-of-band run), so a state that
   * persists is reported where it began. What the backtest CLI prints; windows and
   * alerts use `score`.
   */
  novelty: number;
}

const pointsSchema = z
  .object({ t0: z.number().nullable(), dt: z.array(z.number()), values: z.array(z.number()) })
  .refine((p) => p.values.length === (p.t0 === null ? p.dt.length : p.dt.length + 1), { message: "timestamps and values differ in number" });
const profileSchema = z.object({
  visits: z.array(z.array(z.tuple([z.number(), z.number()]))),
  open: z.number().nullable(),
  n: z.number(),
  su: z.number(),
  suu: z.number(),
  sv: z.number(),
  suv: z.number(),
});

export const detectorStateSchema = z.object({
  version: z.literal(1),
  params: z.object({
    windowMs: z.number().positive(),
    windowPoints: z.number().int().min(5),
    windowMinPoints: z.number().int().min(1),
    warmupPoints: z.number().int().min(3),
    relativeFloor: z.number().min(0),
    absoluteFloor: z.number().min(0),
    integralFloor: z.number().min(0),
    gapResetMs: z.number().positive(),
    adaptAfterMs: z.number().positive(),
    memoryMs: z.number().min(0),
    seasonality: z.boolean(),
    minSeasons: z.number().int().min(1),
    domain: z.enum(VALUE_DOMAINS).default("auto"),
    countPrior: z.object({ ratio: z.number().min(0).max(1), trials: z.number().positive() }).default(DEFAULT_COUNT_PRIOR),
  }),
  lastTs: z.number().nullable(),
  /** The last point with a finite value (gaps are measured from it). */
  lastValueTs: z.number().nullable(),
  /** Typical spacing of points (median of the recent steps), so gaps are judged relative to it. */
  typicalDt: z.number().nullable(),
  /** The most recent steps between finite points, every one of them gaps included (ms). */
  steps: z.array(z.number()).max(64).default([]),
  /** Whether a negative value was ever seen ("auto" domain). */
  negativeSeen: z.boolean().default(false),
  /** Calibration of deviations into tail probabilities (null: fresh). */
  surprise: surpriseStateSchema.nullable().default(null),
  /** The out-of-band points of the current excursion, learnt by the calibration if it stays short ([a, run mean]). */
  excursion: z
    .object({ points: z.array(z.tuple([z.number(), z.number().nullable()]).rest(z.number().nullable())).max(64), outside: z.number().int().default(0), sustained: z.boolean() })
    .default({ points: [], outside: 0, sustained: false }),
  /** The range of values covered recently (records are news; null: fresh). */
  range: rangeStateSchema.nullable().default(null),
  /** Whether the series is a cumulative counter (scored by its increase). */
  counter: counterStateSchema.nullable().default(null),
  /** The usual ratio of a series judged by its counts (null until a point came with counts). */
  counts: countModelStateSchema.nullable().default(null),
  ready: z.boolean(),
  baseline: pointsSchema,
  shift: z
    .object({
      since: z.number(),
      direction: z.enum(["above", "below"]),
      normals: z.number().int(),
      points: pointsSchema,
      /** Largest deviation a recurring run may reach and still be expected (null: not recurring). */
      recurringUpTo: z.number().nullable().default(null),
    })
    .nullable(),
  /** Recent out-of-band runs: [start ms, direction (1 above, −1 below), largest deviation, points]. */
  episodes: z.array(z.tuple([z.number(), z.number(), z.number(), z.number()])).default([]),
  previous: z.object({ since: z.number(), returning: z.number().int(), points: pointsSchema }).nullable(),
  seasonal: z.object({ daily: profileSchema, weekly: profileSchema }).nullable(),
});

/** The detector's learned state as plain JSON (stored in watched_series.state). */
export type DetectorState = z.infer<typeof detectorStateSchema>;

/** A run of out-of-band points in one direction that may turn out to be a level shift. */
interface ShiftRun {
  since: number;
  direction: Direction;
  normals: number;
  ts: number[];
  values: number[];
  /** Set when the run recurs on schedule (see `recurringLimit`): deviations up to this are expected. */
  recurringUpTo: number | null;
}

/** An out-of-band run as remembered for recurrence: start, direction (1 above, −1 below), largest deviation, points. */
type Episode = [number, number, number, number];

interface PreviousLevel {
  since: number;
  returning: number;
  baseline: RobustBaseline;
}

interface Spread {
  median: number;
  up: number;
  down: number;
}

/** Recurring runs: the shortest period recognised, and how many runs are remembered. */
const MIN_RECURRENCE_MS = 60_000;
const MAX_EPISODES = 64;
/** A recurring run is shown at this share of the band's z (well inside, so no window opens). */
const RECURRING_Z_SHARE = 0.5;
/** Two earlier runs recur alike when their largest deviations differ by at most this factor… */
const RECURRENCE_LIKENESS = 2;
/** …and a new run on their schedule is expected up to this multiple of the larger one. */
const RECURRENCE_HEADROOM = 1.5;
/** Start times on a schedule may be off by this many typical sample intervals. */
const RECURRENCE_JITTER_INTERVALS = 1.5;
/** Runs shorter than this many points are not remembered as part of a schedule. */
const RECURRENCE_MIN_POINTS = 3;

/** Consecutive in-band points that end a shift run. */
const RUN_BREAK_POINTS = 4;
/** When a shift is accepted, the newest quarter of its points (at least 8) becomes the baseline. */
const ACCEPTED_SHARE = 0.25;
const MIN_ACCEPTED_POINTS = 8;
/** A shift becomes the new normal after adaptAfterMs and at least this many typical intervals. */
const ADAPT_MIN_INTERVALS = 12;
/** Consecutive points back at the previous level that restore it. */
const RETURN_POINTS = 3;
/** The range evidence is one more test beside the calibrated ones (Bonferroni). */
const RANGE_TESTS = 2;
/** A pause longer than this many typical intervals is a gap (if also longer than gapResetMs). */
const GAP_INTERVALS = 10;
/** A count above the usual ratio is learnt only if at least this probable (fewer events would teach a fault's ratio). */
const COUNT_LEARN_PROBABILITY = 0.01;
/** Points of one out-of-band run after which its novelty has halved. */
const NOVELTY_HALF_LIFE = 5;
/** Out-of-band runs up to this many points are learnt by the calibration once they end. */
const MAX_LEARNT_EXCURSION = 3;
/** Points at least this improbable are suspect: learnt only as part of a short excursion. */
const LEARN_PROBABILITY = 1e-3;
/** A run whose points (in and out of band) outnumber this is sustained whatever its shape. */
const MAX_EXCURSION_BUFFER = 48;
/** Steps kept for the typical interval (their running median). */
const STEP_MEMORY = 31;
/** A side with n points has its spread widened by (1 + SMALL_SAMPLE / n). */
const SMALL_SAMPLE = 3;
const MAD_TO_SIGMA = 1.4826;
/** Warm-up points this far (in σ) from the median are dropped once warm-up ends. */
const WARMUP_PURGE_Z = 6;

/**
 * A streaming anomaly detector for one series. Each point gets a score in [0, 1] and
 * the band it was expected in, from a robust baseline (rolling median and one-sided MADs of the
 * recent normal points, with floors so flat series stay quiet) plus daily and weekly
 * profiles once three seasons of history exist.
 *
 * Guarantees:
 * - points outside the band are not learned as normal, so a short anomaly does not
 *   widen the band; a shift that persists for `adaptAfterMs` becomes the new normal,
 *   and a later return to the previous level within `memoryMs` is not an anomaly;
 * - after a gap (no finite value for longer than `gapResetMs` and 10 usual intervals)
 *   the short-term baseline is learned afresh (scores are 0 for `warmupPoints`
 *   points), so restarts and outages do not alarm;
 * - `toState()` → JSON → `AnomalyDetector.fromState()` continues exactly as the
 *   original would have.
 */
export class AnomalyDetector {
  readonly params: DetectorParams;
  private lastTs: number | null;
  private lastValueTs: number | null;
  private typicalDt: number | null;
  private readonly steps: number[];
  private negativeSeen: boolean;
  private readonly surprise: SurpriseCalibrator;
  private readonly counter: CounterRecognizer;
  private readonly range: RangeNovelty;
  private countModel: CountModel | null;
  private excursion: { points: Array<Pick<Evidence, "a" | "runMean" | "longMean">>; outside: number; sustained: boolean };
  private ready: boolean;
  private baseline: RobustBaseline;
  private shift: ShiftRun | null;
  private episodes: Episode[];
  private previous: PreviousLevel | null;
  private readonly seasonal: Seasonality | null;
  private readonly offset: OffsetFn;

  constructor(params: Partial<DetectorParams> = {}, state?: DetectorState) {
    this.params = state ? { ...state.params } : { ...DEFAULT_DETECTOR_PARAMS, ...params };
    this.seasonal = this.params.seasonality ? new Seasonality(this.params.minSeasons, state?.seasonal ?? undefined) : null;
    const seasonal = this.seasonal;
    this.offset = seasonal ? (ts) => seasonal.offset(ts) : () => 0;
    this.lastTs = state?.lastTs ?? null;
    this.lastValueTs = state?.lastValueTs ?? null;
    this.typicalDt = state?.typicalDt ?? null;
    this.steps = [...(state?.steps ?? [])];
    this.negativeSeen = state?.negativeSeen ?? false;
    this.surprise = new SurpriseCalibrator(state?.surprise ?? undefined);
    this.counter = new CounterRecognizer(state?.counter ?? undefined);
    this.range = new RangeNovelty(state?.range ?? undefined);
    this.countModel = state?.counts ? new CountModel(this.params.windowMs, this.params.countPrior, state.counts) : null;
    this.excursion = {
      points: state?.excursion.points.map(([a, runMean, longMean]) => ({ a, runMean, longMean: longMean ?? null })) ?? [],
      outside: state?.excursion.outside ?? 0,
      sustained: state?.excursion.sustained ?? false,
    };
    this.ready = state?.ready ?? false;
    this.baseline = new RobustBaseline(this.params.windowPoints, this.params.windowMs, this.params.windowMinPoints, state ? decodePoints(state.baseline) : undefined, this.offset);
    this.shift = state?.shift
      ? {
          since: state.shift.since,
          direction: state.shift.direction,
          normals: state.shift.normals,
          ...decodePoints(state.shift.points),
          recurringUpTo: state.shift.recurringUpTo,
        }
      : null;
    this.episodes = state?.episodes.map((e): Episode => [e[0], e[1], e[2], e[3]]) ?? [];
    this.previous = state?.previous
      ? {
          since: state.previous.since,
          returning: state.previous.returning,
          baseline: new RobustBaseline(this.params.windowPoints, this.params.windowMs, this.params.windowMinPoints, decodePoints(state.previous.points), this.offset),
        }
      : null;
  }

  /** Restores a detector from stored JSON; throws a descriptive error when it is malformed. */
  static fromState(json: unknown): AnomalyDetector {
    const parsed = detectorStateSchema.safeParse(json);
    if (!parsed.success) throw new Error(`invalid detector state: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    return new AnomalyDetector({}, parsed.data);
  }

  /** The timestamp of the last point fed, or null. */
  get lastTimestamp(): number | null {
    return this.lastTs;
  }

  /** The timestamp of the last point with a finite value, or null. */
  get lastValueTimestamp(): number | null {
    return this.lastValueTs;
  }

  /** Which seasonal profiles are in use right now. */
  get seasonality(): string {
    return this.seasonal?.describe() ?? "off";
  }

  /**
   * Scores the next point. Timestamps must strictly increase; a non-finite value is
   * treated as missing (score 0, nothing learned).
   */
  step(ts: number, value: number, options: DetectorOptions = DEFAULT_DETECTOR_OPTIONS, counts?: PointCounts): ScoredPoint {
    if (!Number.isFinite(ts)) throw new RangeError(`timestamp must be a finite number of ms, got ${ts}`);
    if (this.lastTs !== null && ts <= this.lastTs) {
      throw new RangeError(`timestamps must increase: ${new Date(ts).toISOString()} is not after ${new Date(this.lastTs).toISOString()}`);
    }
    if (!Number.isFinite(value)) {
      this.lastTs = ts;
      return unscored(ts, value);
    }
    let stepShare = 1;
    if (this.lastValueTs !== null) {
      const dt = ts - this.lastValueTs;
      // The gap is judged against the interval learnt so far, then the step is learnt:
      // every step counts, so a series sampled hourly has an hourly typical interval.
      if (this.isGap(dt)) this.forgetShortTerm();
      this.learnStep(dt);
      stepShare = dt / (this.typicalDt ?? dt);
    }
    if (value < 0) this.negativeSeen = true;
    this.lastTs = ts;
    this.lastValueTs = ts;
    // A ratio with its counts is judged by them (it is never a cumulative counter).
    if (counts && counts.trials > 0 && Number.isFinite(counts.trials)) {
      this.countModel ??= new CountModel(this.params.windowMs, this.params.countPrior);
      return this.stepValue(ts, value, options, { trials: counts.trials, share: Number.isFinite(counts.share) && counts.share > 0 ? Math.min(1, counts.share) : 1 });
    }
    const view = this.counter.view(value, stepShare);
    if (view.recognised) this.forgetShortTerm();
    const scored = this.stepValue(ts, view.x, options);
    if (view.toRaw === undefined || !this.counter.isCounter) return scored;
    const raw = (level: number | null) => (level === null ? null : view.toRaw(level));
    return { ...scored, value, expected: raw(scored.expected), lower: raw(scored.lower), upper: raw(scored.upper) };
  }

  private stepValue(ts: number, value: number, options: DetectorOptions, counts?: PointCounts): ScoredPoint {
    if (this.seasonal?.advance(ts)) {
      this.baseline.rebuild(this.offset);
      this.previous?.baseline.rebuild(this.offset);
    }
    const seasonalOffset = this.offset(ts);
    const y = value - seasonalOffset;
    let point: ScoredPoint;
    if (counts && this.countModel) {
      if (!this.ready) this.countModel.learn(ts, value, counts.trials, counts.share);
      point = this.ready ? this.scoreCounts(ts, value, y, options, counts, this.countModel) : this.learn(ts, value, y, seasonalOffset);
    } else point = this.ready ? this.score(ts, value, y, seasonalOffset, options) : this.learn(ts, value, y, seasonalOffset);
    this.seasonal?.add(ts, value);
    this.range.add(value);
    return point;
  }

  private learn(ts: number, value: number, y: number, seasonalOffset: number): ScoredPoint {
    this.baseline.add(ts, value, y);
    if (this.baseline.size >= this.params.warmupPoints) {
      // A restart often leaves one absurd first point (a counter reset seen as a rate).
      const spread = this.spreadOf(this.baseline, seasonalOffset);
      const m = spread.median;
      this.baseline.removeWhere((v) => v - m > WARMUP_PURGE_Z * spread.up || m - v > WARMUP_PURGE_Z * spread.down, this.offset);
      this.ready = true;
    }
    return unscored(ts, value);
  }

  private score(ts: number, value: number, y: number, seasonalOffset: number, options: DetectorOptions): ScoredPoint {
    // The band a sustained departure must stay inside; a lone point may go further (its
    // own tail probability decides), which the score accounts for.
    const zBand = this.surprise.zForSustained(thresholdsFor(options.sensitivity).probability);
    const spread = this.spreadOf(this.baseline, seasonalOffset);
    const direction: Direction = y >= spread.median ? "above" : "below";
    const z = direction === "above" ? (y - spread.median) / spread.up : (spread.median - y) / spread.down;
    let effectiveZ = z;
    let returning = false;

    if (this.previous && ts - this.previous.since > this.params.memoryMs) this.previous = null;
    if (this.previous && z >= zBand) {
      const old = this.spreadOf(this.previous.baseline, seasonalOffset);
      const zOld = y >= old.median ? (y - old.median) / old.up : (old.median - y) / old.down;
      if (zOld < zBand) {
        effectiveZ = Math.min(z, zOld);
        returning = true;
      }
    }

    if (returning && this.previous) {
      this.previous.baseline.add(ts, value, y);
      this.previous.returning += 1;
      if (this.previous.returning >= RETURN_POINTS) {
        this.baseline = this.previous.baseline;
        this.previous = null;
        this.shift = null;
      }
    } else if (effectiveZ < zBand) {
      if (this.previous) this.previous.returning = 0;
      this.baseline.add(ts, value, y);
      if (this.shift) {
        this.shift.normals += 1;
        if (this.shift.normals >= RUN_BREAK_POINTS) this.shift = null;
      }
    } else {
      if (this.previous) this.previous.returning = 0;
      const deviation = Math.abs(y - spread.median);
      // A lone point the other way inside an established run (a dropped sample in a
      // raised rate) neither ends the run nor starts one of its own.
      const against = this.shift !== null && this.shift.direction !== direction && this.shift.ts.length >= RUN_BREAK_POINTS;
      const run = against ? this.shift : this.extendShift(ts, value, direction, deviation);
      // A run that recurs on the schedule of earlier alike runs (a resync, a cron job) is
      // expected while it stays within their size: shown inside the band, still not learned.
      if (run?.recurringUpTo != null && deviation <= run.recurringUpTo) effectiveZ = Math.min(effectiveZ, RECURRING_Z_SHARE * zBand);
    }

    const assessed = this.surprise.assess(effectiveZ, direction === "above" ? 1 : -1);
    this.calibrate(assessed, effectiveZ < zBand);
    // An out-of-band value beyond the whole range the series has covered is news however
    // heavy its tail of deviations has been (see RangeNovelty).
    const record = this.range.probability(value);
    const pRecord = RANGE_TESTS * (direction === "above" ? record.above : record.below);
    const evidence = pRecord < assessed.probability ? { ...assessed, probability: pRecord, score: scoreFromProbability(pRecord) } : assessed;
    const expected = spread.median + seasonalOffset;
    const shown = options.direction === "both" || options.direction === direction;
    const [low, high] = this.valueRange();
    const clip = (x: number) => Math.min(high, Math.max(low, x));
    const since = evidence.sustained && this.shift ? this.shift.since : undefined;
    const seen = this.shift ? this.shift.ts.length : 0;
    const novelty = (shown ? evidence.score : 0) * 2 ** (-Math.max(0, seen - RUN_POINTS) / NOVELTY_HALF_LIFE);
    return {
      novelty,
      ...(since !== undefined && since < ts ? { sustainedSince: since } : {}),
      ts,
      value,
      score: shown ? evidence.score : 0,
      z: effectiveZ,
      direction,
      expected: clip(expected),
      lower: clip(expected - zBand * spread.down),
      upper: clip(expected + zBand * spread.up),
    };
  }

  /**
   * Scores a ratio by its counts (see count-test.ts) and by its spread, whichever is the
   * less surprised: a rare event (errors) is judged by counting, since its spread is the
   * floor; a common one (retries per add) by its own spread as well, since real counts
   * vary more than Poisson's. The band is where a point of this many trials is unsurprising
   * to either. Out-of-band points are held as a run that becomes the new normal when it
   * persists, as with any series; no heavy-tail calibration or range records (the test is
   * exact for counts, and overlapping windows would count each event many times there).
   */
  private scoreCounts(ts: number, value: number, y: number, options: DetectorOptions, counts: PointCounts, model: CountModel): ScoredPoint {
    const edge = thresholdsFor(options.sensitivity).probability / 2;
    const zBand = zOfUpperTail(edge);
    const c = model.assess(value, counts.trials);
    const direction: Direction = c.above ? "above" : "below";
    const spread = this.spreadOf(this.baseline, 0);
    const zSpread = c.above ? (value - spread.median) / spread.up : (spread.median - value) / spread.down;
    const z = Math.max(0, Math.min(c.z, zSpread));
    const probability = Math.min(1, 2 * normalUpperTail(z));
    if (z < zBand && (!c.above || probability / 2 >= COUNT_LEARN_PROBABILITY)) {
      model.learn(ts, value, counts.trials, counts.share);
      this.baseline.add(ts, value, y);
      if (this.shift) {
        this.shift.normals += 1;
        if (this.shift.normals >= RUN_BREAK_POINTS) this.shift = null;
      }
    } else if (z < zBand) {
      // Unusual but in band: neither learnt (a fault's first errors must not teach their
      // ratio) nor part of a run; a run it sits in goes on.
      model.hold(ts, value, counts.trials, counts.share);
    } else {
      model.hold(ts, value, counts.trials, counts.share);
      const against = this.shift !== null && this.shift.direction !== direction && this.shift.ts.length >= RUN_BREAK_POINTS;
      if (!against && this.extendShift(ts, value, direction, z) === null) {
        model.adoptRun();
        this.previous = null;
      }
    }
    const shown = options.direction === "both" || options.direction === direction;
    const score = shown ? scoreFromProbability(probability) : 0;
    const [countLower, countUpper] = model.band(counts.trials, edge);
    const [low, high] = this.valueRange();
    const lower = Math.max(low, Math.min(countLower, spread.median - zBand * spread.down));
    const upper = Math.min(high, Math.max(countUpper, spread.median + zBand * spread.up));
    const seen = this.shift ? this.shift.ts.length : 0;
    return {
      novelty: score * 2 ** (-Math.max(0, seen - RUN_POINTS) / NOVELTY_HALF_LIFE),
      ts,
      value,
      score,
      z,
      direction,
      expected: Math.min(high, Math.max(low, c.expected)),
      lower,
      upper,
    };
  }

  /** Extends (or starts) the run of out-of-band points; returns it, or null when it just became the new normal. */
  private extendShift(ts: number, value: number, direction: Direction, deviation: number): ShiftRun | null {
    const sign = direction === "above" ? 1 : -1;
    if (!this.shift || this.shift.direction !== direction) {
      this.shift = { since: ts, direction, normals: 0, ts: [], values: [], recurringUpTo: this.recurringLimit(ts, sign) };
      this.episodes = this.episodes.filter((e) => ts - e[0] <= this.params.windowMs).slice(-(MAX_EPISODES - 1));
      this.episodes.push([ts, sign, deviation, 0]);
    }
    const run = this.shift;
    const episode = this.episodes[this.episodes.length - 1];
    if (episode && episode[0] === run.since && episode[1] === sign) {
      episode[2] = Math.max(episode[2], deviation);
      episode[3] += 1;
    }
    run.normals = 0;
    run.ts.push(ts);
    run.values.push(value);
    if (run.ts.length > this.params.windowPoints) {
      run.ts.shift();
      run.values.shift();
    }
    // Sparse series (5-minute, hourly) adapt after ADAPT_MIN_INTERVALS samples, not after a few.
    const adaptAfter = Math.max(this.params.adaptAfterMs, ADAPT_MIN_INTERVALS * (this.typicalDt ?? 0));
    if (ts - run.since >= adaptAfter && run.ts.length >= MIN_ACCEPTED_POINTS) {
      // The shift has lasted: it is the new normal. Keep the old level to recognise a return.
      // Only the latest part of the run describes the new level (a ramp's start does not).
      const keep = Math.max(MIN_ACCEPTED_POINTS, Math.ceil(run.ts.length * ACCEPTED_SHARE));
      this.previous = { since: ts, returning: 0, baseline: this.baseline };
      this.excursion = { points: [], outside: 0, sustained: true };
      this.baseline = new RobustBaseline(this.params.windowPoints, this.params.windowMs, this.params.windowMinPoints, { ts: run.ts.slice(-keep), values: run.values.slice(-keep) }, this.offset);
      this.shift = null;
      return null;
    }
    return run;
  }

  /**
   * Whether a run starting at `start` recurs: two earlier sustained alike runs (largest deviations
   * within RECURRENCE_LIKENESS of each other) started one and two periods before it (a
   * period of at least a minute, give or take RECURRENCE_JITTER_INTERVALS samples). If so,
   * returns how large a deviation is still expected; otherwise null. The first two
   * occurrences of a schedule are always anomalies.
   */
  private recurringLimit(start: number, sign: number): number | null {
    const tolerance = RECURRENCE_JITTER_INTERVALS * (this.typicalDt ?? 0);
    // Only sustained runs (as long as a window needs) set a schedule; lone spikes do not.
    const alike = this.episodes.filter((e) => e[1] === sign && e[0] < start && e[3] >= RECURRENCE_MIN_POINTS);
    for (let i = alike.length - 1; i >= 0; i -= 1) {
      const [t1, , peak1] = alike[i];
      const period = start - t1;
      if (period < MIN_RECURRENCE_MS) continue;
      for (let j = i - 1; j >= 0; j -= 1) {
        const [t2, , peak2] = alike[j];
        if (t1 - period - t2 > tolerance) break;
        if (Math.abs(t1 - period - t2) > tolerance) continue;
        if (Math.max(peak1, peak2) > RECURRENCE_LIKENESS * Math.min(peak1, peak2)) continue;
        return RECURRENCE_HEADROOM * Math.max(peak1, peak2);
      }
    }
    return null;
  }

  /** Level and one-sided spreads (in σ units) of a baseline, floored so tiny noise is never anomalous. */
  private spreadOf(baseline: RobustBaseline, seasonalOffset: number): Spread {
    const median = baseline.median();
    const p = this.params;
    const floor = Math.max(
      p.relativeFloor * Math.abs(median + seasonalOffset),
      p.absoluteFloor,
      baseline.allIntegral() ? p.integralFloor : 0,
      Number.MIN_VALUE,
    );
    const above = baseline.aboveSpread(median);
    const below = baseline.belowSpread(median);
    // Few points give noisy estimates: widen an estimate made from few points (not the floor).
    const up = Math.max(MAD_TO_SIGMA * above.spread * (1 + SMALL_SAMPLE / Math.max(1, above.count)), floor);
    const down = Math.max(MAD_TO_SIGMA * below.spread * (1 + SMALL_SAMPLE / Math.max(1, below.count)), floor);
    return { median, up, down };
  }

  /**
   * What the calibration learns. A point is suspect when it is out of band or already
   * improbable (P < LEARN_PROBABILITY). Unsuspect points outside any out-of-band run are
   * learnt at once; suspect ones and those of a run wait until it ends, and are learnt
   * only if no more than MAX_LEARNT_EXCURSION were suspect (spikes are part of a
   * heavy-tailed series). A sustained departure is never learnt — the baseline adapts to
   * it instead — so an anomaly lasting minutes, or a slow ramp, does not teach that it
   * is normal.
   */
  private calibrate(evidence: Evidence, inBand: boolean): void {
    const x = this.excursion;
    const point = { a: evidence.a, runMean: evidence.runMean, longMean: evidence.longMean ?? null };
    const suspect = !inBand || evidence.probability < LEARN_PROBABILITY;
    if (!suspect && this.shift === null) {
      if (!x.sustained) for (const p of x.points) this.surprise.learn(p);
      x.points = [];
      x.outside = 0;
      x.sustained = false;
      this.surprise.learn(point);
      return;
    }
    if (x.sustained) return;
    x.points.push(point);
    if (suspect) x.outside += 1;
    if (x.outside > MAX_LEARNT_EXCURSION || x.points.length > MAX_EXCURSION_BUFFER) {
      x.points = [];
      x.sustained = true;
    }
  }

  /** The values this quantity can take (bands are clipped to them). */
  private valueRange(): [number, number] {
    switch (this.params.domain) {
      case "unit":
        return [0, 1];
      case "nonNegative":
        return [0, Number.POSITIVE_INFINITY];
      case "auto":
        return [this.negativeSeen ? Number.NEGATIVE_INFINITY : 0, Number.POSITIVE_INFINITY];
      default:
        return [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
    }
  }

  /** Learns one step between finite points; the typical interval is the median of the recent ones. */
  private learnStep(dt: number): void {
    this.steps.push(dt);
    if (this.steps.length > STEP_MEMORY) this.steps.shift();
    // Regular series: the new step usually equals the median, which then stays.
    if (dt === this.typicalDt && this.steps.length === STEP_MEMORY) return;
    this.typicalDt = medianOf(this.steps);
  }

  /** Whether a pause of `dt` ms before the next point is long enough to relearn the baseline. */
  isGap(dt: number): boolean {
    return dt > Math.max(this.params.gapResetMs, GAP_INTERVALS * (this.typicalDt ?? 0));
  }

  private forgetShortTerm(): void {
    this.baseline.clear();
    this.ready = false;
    this.shift = null;
    this.episodes = [];
    this.previous = null;
    this.surprise.interrupt();
    this.excursion = { points: [], outside: 0, sustained: false };
  }

  /** The learned state as plain JSON. */
  toState(): DetectorState {
    return {
      version: 1,
      params: { ...this.params },
      lastTs: this.lastTs,
      lastValueTs: this.lastValueTs,
      typicalDt: this.typicalDt,
      steps: [...this.steps],
      negativeSeen: this.negativeSeen,
      surprise: this.surprise.toState(),
      counter: this.counter.toState(),
      counts: this.countModel?.toState() ?? null,
      range: this.range.toState(),
      excursion: {
        points: this.excursion.points.map((p): [number, number | null, number | null] => [p.a, p.runMean, p.longMean ?? null]),
        outside: this.excursion.outside,
        sustained: this.excursion.sustained,
      },
      ready: this.ready,
      baseline: stored(this.baseline),
      shift: this.shift
        ? {
            since: this.shift.since,
            direction: this.shift.direction,
            normals: this.shift.normals,
            points: encodePoints(this.shift.ts, this.shift.values),
            recurringUpTo: this.shift.recurringUpTo,
          }
        : null,
      episodes: this.episodes.map((e): Episode => [e[0], e[1], e[2], e[3]]),
      previous: this.previous ? { since: this.previous.since, returning: this.previous.returning, points: stored(this.previous.baseline) } : null,
      seasonal: this.seasonal?.toState() ?? null,
    };
  }
}

function stored(baseline: RobustBaseline) {
  const { ts, values } = baseline.toState();
  return encodePoints(ts, values);
}

function unscored(ts: number, value: number): ScoredPoint {
  return { ts, value, score: 0, novelty: 0, z: 0, direction: "above", expected: null, lower: null, upper: null };
}

/** Median of a short list (the upper one of an even count). */
function medianOf(values: readonly number[]): number {
  const sorted = Float64Array.from(values).sort();
  return sorted[sorted.length >> 1];
}
