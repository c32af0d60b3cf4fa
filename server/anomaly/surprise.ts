import { z } from "zod";

/**
 * Turns a series' robust deviations into a score that means the same on every series:
 * how improbable the current evidence is under what this series itself has done before.
 *
 * Evidence is `a = ln(1 + z)` (z = robust deviation in σ; the log tames heavy tails).
 * Two statistics are tracked, each in an exponentially decayed histogram of its own past
 * values: the point's `a`, and the smallest of the last RUN_POINTS `a`s — sustained
 * evidence: a moderate shift that every recent point shares is as telling as one large
 * spike, while lone spikes do not raise it (cf. Numenta's anomaly likelihood, which
 * compares a short average with the long-run distribution; the minimum is its robust
 * cousin). The tail probability of each is the
 * histogram's own below its 90th percentile and, beyond it, a peaks-over-threshold
 * exponential tail fitted to the mean excess (SPOT-style; exponential = GPD with shape 0),
 * so values never seen before still get a finite, ordered probability. The two are
 * combined with a Bonferroni bound (P = min(2·min(p, q), 1)) and reported as
 * `score = −log10(P) / 10` in [0, 1]: 0.5 means "one in 100,000 for this series".
 *
 * A prior (|z| of Gaussian noise, worth PRIOR_WEIGHT points, fading as the series' own
 * history grows) stands in until the series has history, so a fresh series with
 * ordinary noise behaves like a textbook z-score.
 */

/** Histogram bin width in `a` units, and the number of bins (the last one is open-ended). */
const BIN = 0.05;
const BINS = 160;
/** Effective memory of the histograms, in points. */
const MEMORY_POINTS = 10_000;
const DECAY = 1 - 1 / MEMORY_POINTS;
/** The tail starts at this quantile. */
const TAIL_QUANTILE = 0.98;
/** The exponential tail's scale never drops below this (flat and quantised series). */
const MIN_TAIL_SCALE = 0.08;
/** Points in the sustained-evidence minimum. */
export const RUN_POINTS = 3;
/** Points in the long-evidence mean (a moderate departure that most recent points share). */
export const LONG_POINTS = 12;
/** The long mean counts only while the point itself deviates by at least 1 σ (a = ln 2). */
const LONG_GATE = Math.LN2;
/** Weight of the Gaussian prior, in points, fading as e^(−n / PRIOR_FADE_POINTS) with n observations. */
const PRIOR_WEIGHT = 30;
const PRIOR_FADE_POINTS = 300;
/** The score is −log10(P) / SCORE_DECADES, capped at 1. */
const SCORE_DECADES = 10;

const histogramSchema = z.object({
  bins: z.array(z.number().min(0)).length(BINS),
  /** Weight of the next observation (bins are in these growing units). */
  weight: z.number().positive(),
  /** Observations so far (the prior fades with them). */
  seen: z.number().int().min(0),
});

export const surpriseStateSchema = z.object({
  point: histogramSchema,
  run: histogramSchema,
  /** Absent in states stored before the long statistic existed (it then starts afresh). */
  long: histogramSchema.optional(),
  /** The last `a`s, signed by the side of the median they fell on. */
  recent: z.array(z.number()).max(LONG_POINTS),
});
export type SurpriseState = z.infer<typeof surpriseStateSchema>;

/** The score of a tail probability P (one in 10^(10·score)). */
export function scoreFromProbability(p: number): number {
  if (!(p < 1)) return 0;
  return Math.min(1, -Math.log10(Math.max(p, 1e-300)) / SCORE_DECADES);
}

/** The tail probability a score stands for. */
export function probabilityFromScore(score: number): number {
  return 10 ** (-score * SCORE_DECADES);
}

const binOf = (a: number) => Math.min(BINS - 1, Math.max(0, Math.floor(a / BIN)));

/**
 * The prior as bin weights summing to PRIOR_WEIGHT: `a` of |z| for Gaussian noise and,
 * for the run statistic, of the smallest of RUN_POINTS such |z|s.
 * Deterministic quadrature over 1,000 equal-probability slices.
 */
function priorHistograms(): { point: number[]; run: number[]; long: number[] } {
  const n = 1_000;
  const point = new Array<number>(BINS).fill(0);
  const run = new Array<number>(BINS).fill(0);
  const as: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const q = (i + 0.5) / n;
    const a = Math.log1p(inverseHalfNormal(q));
    as.push(a);
    point[binOf(a)] += PRIOR_WEIGHT / n;
    run[binOf(Math.log1p(inverseHalfNormal(1 - (1 - q) ** (1 / RUN_POINTS))))] += PRIOR_WEIGHT / n;
  }
  // The mean of LONG_POINTS independent `a`s: its mean and variance, as a narrow Gaussian of quantiles.
  const mean = as.reduce((x, y) => x + y, 0) / n;
  const sd = Math.sqrt(as.reduce((x, y) => x + (y - mean) ** 2, 0) / n / LONG_POINTS);
  const long = new Array<number>(BINS).fill(0);
  for (let i = 0; i < n; i += 1) {
    const q = (i + 0.5) / n;
    const z = (q < 0.5 ? -1 : 1) * inverseHalfNormal(Math.abs(2 * q - 1));
    long[binOf(Math.max(0, mean + sd * z))] += PRIOR_WEIGHT / n;
  }
  return { point, run, long };
}

/** Quantile function of |N(0,1)| by bisection on erf (only used to build the prior). */
function inverseHalfNormal(p: number): number {
  let lo = 0;
  let hi = 10;
  for (let i = 0; i < 50; i += 1) {
    const mid = (lo + hi) / 2;
    if (erf(mid / Math.SQRT2) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

function erf(x: number): number {
  // Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7).
  const t = 1 / (1 + 0.3275911 * x);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

const PRIOR = priorHistograms();

/** An exponentially decayed histogram of `a` values, plus a fading prior, with a fitted exponential tail. */
class TailHistogram {
  private readonly bins: number[];
  /** Weight of the next observation; grows by 1/DECAY each step instead of decaying every bin. */
  private weight = 1;
  /** Observations so far (the prior fades with them). */
  private seen: number;

  constructor(
    private readonly prior: readonly number[],
    private readonly minScale: number,
    state?: { bins: readonly number[]; weight: number; seen: number },
  ) {
    this.bins = state ? [...state.bins] : new Array<number>(BINS).fill(0);
    this.weight = state?.weight ?? 1;
    this.seen = state?.seen ?? 0;
  }

  /** The last fit, until the next observation changes it. */
  private fitted: { total: number; u: number; scale: number; priorShare: number } | null = null;

  add(a: number): void {
    this.fitted = null;
    this.bins[binOf(a)] += this.weight;
    this.weight /= DECAY;
    this.seen += 1;
    if (this.weight > 1e50) this.normalise();
  }

  /** Rescales the bins so the next observation weighs 1 (done before the weights overflow). */
  private normalise(): void {
    for (let i = 0; i < BINS; i += 1) this.bins[i] /= this.weight;
    this.weight = 1;
  }

  toState(): { bins: number[]; weight: number; seen: number } {
    return { bins: [...this.bins], weight: this.weight, seen: this.seen };
  }

  /** Weight of bin i in units of the newest observation, the fading prior included. */
  private at(i: number, priorShare: number): number {
    return this.bins[i] / this.weight + priorShare * this.prior[i];
  }

  /** Total weight, the tail threshold u (TAIL_QUANTILE quantile) and the tail's scale (mean excess over u). */
  private fit(): { total: number; u: number; scale: number; priorShare: number } {
    this.fitted ??= this.refit();
    return this.fitted;
  }

  private refit(): { total: number; u: number; scale: number; priorShare: number } {
    const priorShare = Math.exp(-this.seen / PRIOR_FADE_POINTS);
    let total = 0;
    for (let i = 0; i < BINS; i += 1) total += this.at(i, priorShare);
    const target = TAIL_QUANTILE * total;
    let cum = 0;
    let u = (BINS - 1) * BIN;
    for (let i = 0; i < BINS; i += 1) {
      const w = this.at(i, priorShare);
      if (cum + w >= target) {
        u = (i + (w > 0 ? (target - cum) / w : 0)) * BIN;
        break;
      }
      cum += w;
    }
    let excessWeight = 0;
    let excessSum = 0;
    for (let i = Math.floor(u / BIN); i < BINS; i += 1) {
      const centre = (i + 0.5) * BIN;
      if (centre <= u) continue;
      const w = this.at(i, priorShare);
      excessWeight += w;
      excessSum += w * (centre - u);
    }
    // The mean excess of the top (1 − TAIL_QUANTILE) of the weight: mass tied at u (a flat
    // series sits at exactly 0) counts with no excess, so it does not borrow the prior's tail.
    const scale = Math.max(this.minScale, excessSum / Math.max(excessWeight, (1 - TAIL_QUANTILE) * total, Number.MIN_VALUE));
    return { total, u, scale, priorShare };
  }

  /** P(A ≥ a): the histogram's own below u, the exponential tail beyond it. */
  tail(a: number): number {
    const { total, u, scale, priorShare } = this.fit();
    if (!(total > 0)) return 1;
    if (a >= u) return (1 - TAIL_QUANTILE) * Math.exp(-(a - u) / scale);
    const b = binOf(a);
    let above = this.at(b, priorShare) * (1 - (a - b * BIN) / BIN);
    for (let i = b + 1; i < BINS; i += 1) above += this.at(i, priorShare);
    return Math.min(1, Math.max(above / total, 1 - TAIL_QUANTILE));
  }

  /** The `a` whose tail probability is p (p < 1 − TAIL_QUANTILE: always in the fitted tail). */
  inverse(p: number): number {
    const { u, scale } = this.fit();
    return u + scale * Math.log((1 - TAIL_QUANTILE) / Math.min(p, 1 - TAIL_QUANTILE));
  }
}

/** The evidence of one point: its probability and score, and what `learn` takes. */
export interface Evidence {
  probability: number;
  score: number;
  a: number;
  /** The smallest of the last RUN_POINTS `a`s, or null while fewer exist. */
  runMean: number | null;
  /** The mean of the last LONG_POINTS `a`s, or null while fewer exist. */
  longMean?: number | null;
  /** Whether the sustained statistic, not the point alone, carries the evidence. */
  sustained: boolean;
}

/**
 * The calibration of one series' deviations (see the file comment). `assess` scores a
 * point without learning it; the detector then `learn`s what it considers part of the
 * series' behaviour: in-band points at once, isolated excursions (a heavy tail) once
 * they have ended, but never the points of a sustained shift (the baseline adapts to
 * those instead), so an anomaly lasting minutes does not teach that it is normal.
 */
export class SurpriseCalibrator {
  private readonly point: TailHistogram;
  private readonly run: TailHistogram;
  private readonly long: TailHistogram;
  private readonly recent: number[];

  constructor(state?: SurpriseState) {
    this.point = new TailHistogram(PRIOR.point, MIN_TAIL_SCALE, state?.point);
    this.run = new TailHistogram(PRIOR.run, MIN_TAIL_SCALE, state?.run);
    this.long = new TailHistogram(PRIOR.long, MIN_TAIL_SCALE, state?.long);
    this.recent = [...(state?.recent ?? [])];
  }

  /** Scores a deviation z (≥ 0) against the history (nothing is learnt). */
  assess(z: number, side: 1 | -1 = 1): Evidence {
    const a = Math.log1p(Math.max(0, Number.isFinite(z) ? z : 0));
    // Recent evidence is kept signed: a run or a mean only gathers points on this point's side.
    this.recent.push(side * a);
    if (this.recent.length > LONG_POINTS) this.recent.shift();
    const same = (x: number) => (x * side > 0 ? x * side : 0);
    const pPoint = this.point.tail(a);
    let probability = pPoint;
    let runMean: number | null = null;
    let longMean: number | null = null;
    let sustained = false;
    const n = this.recent.length;
    if (n >= RUN_POINTS) {
      runMean = Math.min(same(this.recent[n - 1]), same(this.recent[n - 2]), same(this.recent[n - 3]));
      const pRun = this.run.tail(runMean);
      let pSustained = pRun;
      let tests = 2;
      if (n === LONG_POINTS) {
        let sum = 0;
        for (const x of this.recent) sum += same(x);
        longMean = sum / n;
        // Only while the point itself still departs (so a mean does not outlast its anomaly).
        if (a >= LONG_GATE) pSustained = Math.min(pRun, this.long.tail(longMean));
        tests = 3;
      }
      sustained = pSustained < pPoint;
      probability = Math.min(1, tests * Math.min(pPoint, pSustained));
    }
    return { probability, score: scoreFromProbability(probability), a, runMean, longMean, sustained };
  }


  /** Learns an assessed point as part of the series' behaviour. */
  learn(evidence: Pick<Evidence, "a" | "runMean" | "longMean">): void {
    this.point.add(evidence.a);
    if (evidence.runMean !== null) this.run.add(evidence.runMean);
    if (evidence.longMean != null) this.long.add(evidence.longMean);
  }

  /** Forgets the run of recent evidence (after a gap), keeping the learned calibration. */
  interrupt(): void {
    this.recent.length = 0;
  }

  /** The deviation z beyond which a single point alone has tail probability ≤ p. */
  zFor(p: number): number {
    return Math.expm1(this.point.inverse(p / 2));
  }

  /**
   * The deviation z that, shared by RUN_POINTS points in a row, has tail probability ≤ p:
   * the band a sustained departure must stay inside (isolated points may go further).
   */
  zForSustained(p: number): number {
    return Math.min(this.zFor(p), Math.expm1(this.run.inverse(p / 2)));
  }

  toState(): SurpriseState {
    return { point: this.point.toState(), run: this.run.toState(), long: this.long.toState(), recent: [...this.recent] };
  }
}
