import { z } from "zod";

/**
 * Judges a ratio of events (errors per reconcile, retries per add) by the events behind
 * it rather than by the ratio's spread: given `trials` events in the window, of which
 * k = ratio × trials were counted, how improbable is k if the series still had its usual
 * ratio p0? The count is Poisson with mean λ = trials × p0 (the binomial's limit for rare
 * events, and conservative — never narrower — for common ones).
 *
 * This is what a spread cannot do on a sparse series: a controller with 20 reconciles a
 * minute shows one ordinary error as a ratio of 5 % (its median is 0, its spread the
 * floor), which is a one-in-twenty event there; three errors in the minute are a
 * one-in-a-million one. The usual ratio is learnt from the in-band points (events and
 * trials weighted by the share of the window each step adds, so overlapping windows count
 * each event once), and a prior worth `prior.trials` trials at `prior.ratio` (by default
 * half an event in one trial, Jeffreys: a series that never failed in 1,000 trials expects
 * 1 in 2,000). A short history says little: 400 reconciles without a failure cannot tell
 * 0.1 % from 0.3 %, and a prior that failures are rare (1 in 1,000, worth 1,000
 * reconciles) is what lets three failures in a minute count on a quiet controller.
 */

export const countModelStateSchema = z.object({
  /** Learnt events and trials (decayed with age). */
  events: z.number().min(0),
  trials: z.number().min(0),
  lastTs: z.number().nullable(),
  /** Events and trials of the current out-of-band run (what becomes normal if it persists). */
  runEvents: z.number().min(0),
  runTrials: z.number().min(0),
});
export type CountModelState = z.infer<typeof countModelStateSchema>;

/** What a count says about one point. */
export interface CountAssessment {
  /** The usual ratio p0. */
  expected: number;
  above: boolean;
  /** One-sided tail probability of the count on its side (P(X ≥ k) above, P(X ≤ k) below). */
  probability: number;
  /** The same as a standard normal deviate (0 when the count is as expected). */
  z: number;
}

/** What the usual ratio is believed to be before the series' own counts: ratio, worth `trials` trials. */
export interface CountPrior {
  ratio: number;
  trials: number;
}

export const DEFAULT_COUNT_PRIOR: CountPrior = { ratio: 0.5, trials: 1 };

export class CountModel {
  private s: CountModelState;

  constructor(
    private readonly memoryMs: number,
    private readonly prior: CountPrior = DEFAULT_COUNT_PRIOR,
    state?: CountModelState,
  ) {
    this.s = state ? { ...state } : { events: 0, trials: 0, lastTs: null, runEvents: 0, runTrials: 0 };
  }

  /** The usual ratio. */
  expected(): number {
    return (this.s.events + this.prior.ratio * this.prior.trials) / (this.s.trials + this.prior.trials);
  }

  assess(ratio: number, trials: number): CountAssessment {
    const p0 = this.expected();
    const lambda = trials * p0;
    const k = Math.round(Math.max(0, ratio) * trials);
    if (k > lambda) {
      const p = poissonAtLeast(k, lambda);
      return { expected: p0, above: true, probability: p, z: Math.max(0, zOfUpperTail(p)) };
    }
    const p = poissonAtMost(k, lambda);
    return { expected: p0, above: false, probability: p, z: Math.max(0, zOfUpperTail(p)) };
  }

  /** The ratios between which a count of `trials` has tail probability above `p` on either side. */
  band(trials: number, p: number): [number, number] {
    if (!(trials > 0)) return [0, 1];
    const lambda = trials * this.expected();
    let upper = Math.max(0, Math.ceil(lambda));
    while (upper < trials && poissonAtLeast(upper + 1, lambda) > p) upper += 1;
    let lower = Math.floor(lambda);
    while (lower > 0 && poissonAtMost(lower - 1, lambda) > p) lower -= 1;
    return [Math.max(0, lower) / trials, Math.min(1, upper / trials)];
  }

  /** Learns an in-band point: its events and trials, weighted by the share of the window it adds. */
  learn(ts: number, ratio: number, trials: number, share: number): void {
    this.decay(ts);
    this.s.events += Math.max(0, ratio) * trials * share;
    this.s.trials += trials * share;
    this.s.runEvents = 0;
    this.s.runTrials = 0;
  }

  /** Notes an out-of-band point of a run that may become the new normal. */
  hold(ts: number, ratio: number, trials: number, share: number): void {
    this.decay(ts);
    this.s.runEvents += Math.max(0, ratio) * trials * share;
    this.s.runTrials += trials * share;
  }

  /** The run persisted: its ratio is the usual one now. */
  adoptRun(): void {
    this.s.events = this.s.runEvents;
    this.s.trials = this.s.runTrials;
    this.s.runEvents = 0;
    this.s.runTrials = 0;
  }

  /** Forgets everything (after a long gap). */
  clear(): void {
    this.s = { events: 0, trials: 0, lastTs: null, runEvents: 0, runTrials: 0 };
  }

  private decay(ts: number): void {
    if (this.s.lastTs !== null && ts > this.s.lastTs) {
      const f = Math.exp(-(ts - this.s.lastTs) / this.memoryMs);
      this.s.events *= f;
      this.s.trials *= f;
    }
    this.s.lastTs = ts;
  }

  toState(): CountModelState {
    return { ...this.s };
  }
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7). */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
    9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const y = x - 1;
  let a = c[0];
  const t = y + 7.5;
  for (let i = 1; i < 9; i += 1) a += c[i] / (y + i);
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularised lower incomplete gamma P(a, x) (series below a + 1, continued fraction above). */
function gammaP(a: number, x: number): number {
  if (x <= 0) return 0;
  const lead = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 1_000; n += 1) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return Math.min(1, sum * Math.exp(lead));
  }
  return Math.max(0, 1 - gammaQContinued(a, x, lead));
}

/** Q(a, x) = 1 − P(a, x) by Lentz's continued fraction (x ≥ a + 1). */
function gammaQContinued(a: number, x: number, lead: number): number {
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1_000; i += 1) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.exp(lead) * h;
}

/** P(X ≥ k) for X ~ Poisson(λ). */
export function poissonAtLeast(k: number, lambda: number): number {
  if (k <= 0) return 1;
  if (!(lambda > 0)) return 0;
  // P(X ≥ k) = P(k, λ), the regularised lower incomplete gamma; in its far tail the
  // leading terms of the sum keep precision where 1 − Q would not.
  if (lambda < k) {
    let term = Math.exp(k * Math.log(lambda) - lambda - logGamma(k + 1));
    let sum = term;
    for (let j = k + 1; j < k + 10_000; j += 1) {
      term *= lambda / j;
      sum += term;
      if (term < sum * 1e-15) break;
    }
    return Math.min(1, sum);
  }
  return gammaP(k, lambda);
}

/** P(X ≤ k) for X ~ Poisson(λ). */
export function poissonAtMost(k: number, lambda: number): number {
  if (k < 0) return 0;
  if (!(lambda > 0)) return 1;
  return Math.max(0, 1 - gammaP(k + 1, lambda));
}

/** P(Z ≥ z) for a standard normal Z (Numerical Recipes' erfc, relative error below 1.2e-7 at any z ≥ 0). */
export function normalUpperTail(z: number): number {
  if (!Number.isFinite(z)) return z > 0 ? 0 : 1;
  if (z < 0) return 1 - normalUpperTail(-z);
  const x = z / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const erfc =
    t *
    Math.exp(
      -x * x -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return 0.5 * erfc;
}

/** The standard normal deviate with upper tail probability p (Acklam's approximation, refined once). */
export function zOfUpperTail(p: number): number {
  if (!(p < 1)) return Number.NEGATIVE_INFINITY;
  if (!(p > 0)) return 40;
  const q = Math.max(p, 1e-300);
  // Lower-tail quantile of q, negated.
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  let x: number;
  if (q < 0.02425) {
    const r = Math.sqrt(-2 * Math.log(q));
    x = (((((c[0] * r + c[1]) * r + c[2]) * r + c[3]) * r + c[4]) * r + c[5]) / ((((d[0] * r + d[1]) * r + d[2]) * r + d[3]) * r + 1);
  } else if (q <= 1 - 0.02425) {
    const r = q - 0.5;
    const s = r * r;
    x = ((((((a[0] * s + a[1]) * s + a[2]) * s + a[3]) * s + a[4]) * s + a[5]) * r) / (((((b[0] * s + b[1]) * s + b[2]) * s + b[3]) * s + b[4]) * s + 1);
  } else {
    const r = Math.sqrt(-2 * Math.log(1 - q));
    x = -(((((c[0] * r + c[1]) * r + c[2]) * r + c[3]) * r + c[4]) * r + c[5]) / ((((d[0] * r + d[1]) * r + d[2]) * r + d[3]) * r + 1);
  }
  return -x;
}
