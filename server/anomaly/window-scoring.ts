/**
 * Scoring of anomaly scores against labelled anomalies, at one threshold for a whole
 * corpus, two ways:
 *
 * - NAB-style window scoring, implemented from its published description (Lavin &
 *   Ahmad, "Evaluating real-time anomaly detection algorithms – the Numenta Anomaly
 *   Benchmark", 2015): each labelled anomaly gets a window of 10 % of the series' length
 *   divided by its number of anomalies, centred on the anomaly's start (and stretched
 *   to cover its end). Every point scoring at or above the threshold is a detection.
 *   The first detection in a window earns A_TP·σ(y), where y is its position in the
 *   window (−1 at the start, 0 at the end) and σ(y) = 2/(1 + e^(5y)) − 1; later ones
 *   in the same window count nothing; a window without one costs A_FN. A detection
 *   outside every window costs A_FP·|σ(y)|, y = distance after the last window ended
 *   in window lengths (a full A_FP when no window came before). Detections in the first
 *   15 % of a series (the probationary period, at most 750 points) are ignored. The corpus score is
 *   100·(raw − null)/(perfect − null), null = no detections, perfect = every window
 *   hit at its start.
 * - Event-level precision, recall and time to detect: runs of detections (points at or
 *   above the threshold, merged when closer than `mergeGap`) are events; an event is true
 *   when it overlaps a labelled anomaly widened by `grace` after its end.
 */

export interface LabelledAnomaly {
  start: number;
  end: number;
}

export interface ScoredSeries {
  name: string;
  /** Timestamps (ms, increasing) and scores of the points kept. */
  ts: readonly number[];
  scores: readonly number[];
  anomalies: readonly LabelledAnomaly[];
}

export interface CostProfile {
  tp: number;
  fp: number;
  fn: number;
}

/** NAB's standard profile. */
export const STANDARD_PROFILE: CostProfile = { tp: 1, fp: 0.11, fn: 1 };
const PROBATION_SHARE = 0.15;
/** The probationary period is at most this many points (15 % of 5,000), as in NAB. */
const MAX_PROBATION_POINTS = 750;
const WINDOW_SHARE = 0.1;

/** Index of the first point after the probationary period of a series of n points. */
function probationIndex(n: number): number {
  return Math.max(0, Math.min(n - 1, Math.floor(PROBATION_SHARE * n), MAX_PROBATION_POINTS));
}

/** σ(y) = 2 / (1 + e^(5y)) − 1: ≈0.99 at y = −1, 0 at y = 0, → −1 as y grows. */
export function scaledSigmoid(y: number): number {
  if (y > 3) return -1;
  return 2 / (1 + Math.exp(5 * y)) - 1;
}

interface Window {
  start: number;
  end: number;
}

/** The scoring windows of a series (merged where they overlap). */
export function windowsOf(series: Pick<ScoredSeries, "ts" | "anomalies">): Window[] {
  const n = series.ts.length;
  if (n < 2 || series.anomalies.length === 0) return [];
  const span = series.ts[n - 1] - series.ts[0];
  const width = (WINDOW_SHARE * span) / series.anomalies.length;
  const windows = series.anomalies
    .map((a) => ({ start: a.start - width / 2, end: Math.max(a.end, a.start + width / 2) }))
    .sort((a, b) => a.start - b.start);
  const merged: Window[] = [];
  for (const w of windows) {
    const last = merged[merged.length - 1];
    if (last && w.start <= last.end) last.end = Math.max(last.end, w.end);
    else merged.push({ ...w });
  }
  return merged;
}

export interface WindowScore {
  raw: number;
  perfect: number;
  null: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
}

/** NAB-style raw score of one series at one threshold. */
export function windowScore(series: ScoredSeries, threshold: number, profile: CostProfile = STANDARD_PROFILE): WindowScore {
  const windows = windowsOf(series);
  const n = series.ts.length;
  const probationEnd = n > 0 ? series.ts[probationIndex(n)] : 0;
  const hit = new Array<boolean>(windows.length).fill(false);
  let raw = 0;
  let tp = 0;
  let fp = 0;
  let w = 0;
  for (let i = 0; i < n; i += 1) {
    const t = series.ts[i];
    while (w < windows.length && windows[w].end < t) w += 1;
    if (!(series.scores[i] >= threshold) || t < probationEnd) continue;
    const inside = w < windows.length && windows[w].start <= t;
    if (inside) {
      if (hit[w]) continue;
      hit[w] = true;
      const win = windows[w];
      const y = -(win.end - t) / (win.end - win.start);
      raw += profile.tp * scaledSigmoid(y);
      tp += 1;
    } else {
      const before = w > 0 ? windows[w - 1] : undefined;
      const cost = before ? Math.abs(scaledSigmoid((t - before.end) / (before.end - before.start))) : 1;
      raw -= profile.fp * cost;
      fp += 1;
    }
  }
  const fn = hit.filter((h) => !h).length;
  raw -= profile.fn * fn;
  return { raw, perfect: windows.length * profile.tp * scaledSigmoid(-1), null: -windows.length * profile.fn, truePositives: tp, falsePositives: fp, falseNegatives: fn };
}

/** The normalised corpus score (0 = no detections, 100 = perfect) at one threshold. */
export function corpusWindowScore(corpus: readonly ScoredSeries[], threshold: number, profile: CostProfile = STANDARD_PROFILE): number {
  let raw = 0;
  let perfect = 0;
  let none = 0;
  for (const s of corpus) {
    const r = windowScore(s, threshold, profile);
    raw += r.raw;
    perfect += r.perfect;
    none += r.null;
  }
  return perfect === none ? 0 : (100 * (raw - none)) / (perfect - none);
}

/** The threshold that maximises the corpus score, as NAB's optimiser does (one for the whole corpus). */
export function bestThreshold(corpus: readonly ScoredSeries[], profile: CostProfile = STANDARD_PROFILE): { threshold: number; score: number } {
  const all: number[] = [];
  for (const s of corpus) for (const x of s.scores) if (x > 0 && Number.isFinite(x)) all.push(x);
  all.sort((a, b) => a - b);
  const candidates = new Set<number>();
  for (let q = 0; q <= 200; q += 1) {
    const k = Math.min(all.length - 1, Math.floor((1 - (1 - q / 200) ** 3) * all.length));
    if (k >= 0) candidates.add(all[k]);
  }
  if (all.length) candidates.add(all[all.length - 1] + 1e-9);
  let best = { threshold: Number.POSITIVE_INFINITY, score: 0 };
  for (const threshold of candidates) {
    const score = corpusWindowScore(corpus, threshold, profile);
    if (score > best.score) best = { threshold, score };
  }
  return best;
}

export interface EventQuality {
  precision: number;
  recall: number;
  /** Seconds from each detected anomaly's start to its first detection (median). */
  medianTimeToDetectS: number | null;
  events: number;
  trueEvents: number;
  anomalies: number;
  detected: number;
}

/** Event-level precision, recall and time to detect at one threshold. */
export function eventQuality(corpus: readonly ScoredSeries[], threshold: number, grace: (s: ScoredSeries) => number, mergeGap: (s: ScoredSeries) => number): EventQuality {
  let events = 0;
  let trueEvents = 0;
  let anomalies = 0;
  let detected = 0;
  const delays: number[] = [];
  for (const s of corpus) {
    const g = grace(s);
    const runs: Window[] = [];
    const probationEnd = s.ts[probationIndex(s.ts.length)] ?? 0;
    for (let i = 0; i < s.ts.length; i += 1) {
      if (!(s.scores[i] >= threshold) || s.ts[i] < probationEnd) continue;
      const last = runs[runs.length - 1];
      if (last && s.ts[i] - last.end <= mergeGap(s)) last.end = s.ts[i];
      else runs.push({ start: s.ts[i], end: s.ts[i] });
    }
    events += runs.length;
    for (const r of runs) if (s.anomalies.some((a) => r.start <= a.end + g && r.end >= a.start)) trueEvents += 1;
    for (const a of s.anomalies) {
      if (a.start < probationEnd) continue;
      anomalies += 1;
      const first = runs.find((r) => r.end >= a.start && r.start <= a.end + g);
      if (first) {
        detected += 1;
        delays.push((Math.max(first.start, a.start) - a.start) / 1000);
      }
    }
  }
  delays.sort((a, b) => a - b);
  return {
    precision: events ? trueEvents / events : 1,
    recall: anomalies ? detected / anomalies : 1,
    medianTimeToDetectS: delays.length ? delays[delays.length >> 1] : null,
    events,
    trueEvents,
    anomalies,
    detected,
  };
}
