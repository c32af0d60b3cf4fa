/**
 * Seeded synthetic series with known anomalies, for tests, backtests and the
 * benchmark: controller-like metrics (rates, queue depths, latency quantiles, handle
 * counts) with realistic noise and nuisances (single-point spikes, slow trends, gaps,
 * restarts), plus injected faults whose true time ranges are returned alongside.
 */

/** A deterministic uniform [0, 1) generator (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws from a uniform generator (Box–Muller). */
export function normalFrom(random: () => number): () => number {
  return () => {
    const u = Math.max(random(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
}

/** A Poisson draw (Knuth for small means, normal approximation above 50). */
export function poissonFrom(random: () => number): (mean: number) => number {
  const normal = normalFrom(random);
  return (mean) => {
    if (mean <= 0) return 0;
    if (mean > 50) return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal()));
    const limit = Math.exp(-mean);
    let k = 0;
    let p = random();
    while (p > limit) {
      k += 1;
      p *= random();
    }
    return k;
  };
}

export type Point = [number, number];

/** Evenly spaced points `f(i, ts)` from `start`. */
export function generate(start: number, intervalMs: number, count: number, f: (i: number, ts: number) => number): Point[] {
  const out: Point[] = [];
  for (let i = 0; i < count; i += 1) {
    const ts = start + i * intervalMs;
    out.push([ts, f(i, ts)]);
  }
  return out;
}

/** Trailing moving average over `n` points: what a `rate(x[n·interval])` does to a step. */
export function smooth(values: readonly number[], n: number): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < values.length; i += 1) {
    sum += values[i];
    if (i >= n) sum -= values[i - n];
    out.push(sum / Math.min(i + 1, n));
  }
  return out;
}

/** A fault with its true time range. */
export interface InjectedFault {
  kind: FaultKind;
  seriesKey: string;
  start: number;
  end: number;
  /** 0 (mildest) … 1 (strongest): scales the fault's effect, see `syntheticSeries`. */
  magnitude: number;
}

export const FAULT_KINDS = ["burst", "latency_shift", "error_storm", "leak", "stuck_worker", "event_loop_stall"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface SyntheticSeries {
  key: string;
  kind: FaultKind;
  points: Point[];
  faults: InjectedFault[];
}

export interface ScenarioOptions {
  seed: number;
  start: number;
  intervalMs: number;
  /** Length of the series. */
  durationMs: number;
  /** Quiet time before the first fault (the detector learns). */
  warmupMs: number;
  /** Faults per series. */
  faults: number;
  /**
   * Add a 20-minute gap between two faults (at least 10 minutes after the one and 20
   * before the next), after which the first point is 20× too large (a restart's
   * counter reset read as a rate). Not a fault: a window there is false.
   */
  gap?: boolean;
}

const MIN = 60_000;

/**
 * One controller-like series of the given fault kind with `faults` injected faults,
 * spaced at random but never overlapping, each of random strength: bursts of 1.5–5×
 * the adds rate, work p99 1.3–3× higher, error storms of 0.3–3 errors/s, handle leaks
 * of 0.03–0.17 per second, a stuck worker (unfinished work grows 1 s/s), event-loop
 * lag p99 raised by 4–58 ms; and nuisances that are not faults: single
 * point spikes, a slow daily-ish drift, and (for some) a gap followed by a restart.
 */
export function syntheticSeries(kind: FaultKind, key: string, o: ScenarioOptions): SyntheticSeries {
  const random = seededRandom(o.seed);
  const normal = normalFrom(random);
  const poisson = poissonFrom(random);
  const n = Math.floor(o.durationMs / o.intervalMs);
  const step = o.intervalMs / 1000;
  const rateWindow = Math.max(1, Math.round(30_000 / o.intervalMs));

  // Fault schedule: evenly spread slots after the warm-up, each fault placed at random in its slot.
  const faults: InjectedFault[] = [];
  const slot = (o.durationMs - o.warmupMs) / o.faults;
  for (let f = 0; f < o.faults; f += 1) {
    const length = faultLength(kind, random);
    const slack = Math.max(0, slot - length - 6 * MIN);
    const start = o.start + o.warmupMs + f * slot + 3 * MIN + random() * slack;
    faults.push({ kind, seriesKey: key, start: align(start, o), end: align(start + length, o), magnitude: random() });
  }
  const faultAt = (ts: number) => faults.find((f) => ts >= f.start && ts < f.end);

  // Nuisances: isolated one-point spikes and a slow drift of ±10 % over 6 h.
  const spikes = new Set<number>();
  for (let i = 0; i < n / 400; i += 1) spikes.add(Math.floor(random() * n));
  const drift = (ts: number) => 1 + 0.1 * Math.sin((2 * Math.PI * (ts - o.start)) / (6 * 60 * MIN));

  const raw: number[] = [];
  let walk = 0;
  let leaked = 0;
  for (let i = 0; i < n; i += 1) {
    const ts = o.start + i * o.intervalMs;
    const fault = faultAt(ts);
    const since = fault ? (ts - fault.start) / 1000 : 0;
    const m = fault?.magnitude ?? 0;
    const d = drift(ts);
    let v: number;
    switch (kind) {
      case "burst": {
        const rate = 20 * d * (fault ? 1.5 + 3.5 * m : 1);
        v = poisson(rate * step) / step;
        break;
      }
      case "latency_shift": {
        const base = 0.08 * d * (fault ? 1.3 + 1.7 * m : 1);
        v = base * Math.exp(0.12 * normal());
        break;
      }
      case "error_storm": {
        const rate = fault ? 0.3 + 2.7 * m : random() < 0.02 ? 0.4 : 0.01;
        v = poisson(rate * step) / step;
        break;
      }
      case "leak": {
        if (fault) leaked = since * (0.03 + 0.14 * m);
        else leaked = 0;
        walk = 0.9 * walk + normal() * 1.5;
        v = Math.max(0, Math.round(40 * d + walk + leaked));
        break;
      }
      case "stuck_worker": {
        walk = 0.8 * walk + Math.abs(normal()) * 0.05;
        v = walk + (fault ? since : 0);
        break;
      }
      case "event_loop_stall": {
        v = 0.011 * d * Math.exp(0.06 * normal()) + (fault ? (0.004 + 0.054 * m) * (0.8 + 0.4 * random()) : 0);
        break;
      }
    }
    raw.push(v);
  }
  const series = kind === "burst" || kind === "error_storm" ? smooth(raw, rateWindow) : raw;
  let points: Point[] = series.map((v, i) => [o.start + i * o.intervalMs, spikes.has(i) && !faultAt(o.start + i * o.intervalMs) ? v * 3 : v]);
  // The gap goes in the widest space between two faults, with room to relearn before the next.
  const spaces = faults.slice(1).map((f, i) => ({ from: faults[i].end, to: f.start }));
  const widest = spaces.sort((a, b) => b.to - b.from - (a.to - a.from))[0];
  if (o.gap && widest && widest.to - widest.from >= 50 * MIN) {
    const from = align(widest.from + 10 * MIN + random() * (widest.to - widest.from - 50 * MIN), o);
    const to = from + 20 * MIN;
    points = points.filter(([ts]) => ts < from || ts >= to);
    const after = points.findIndex(([ts]) => ts >= to);
    if (after >= 0) points[after] = [points[after][0], points[after][1] * 20 + 1];
  }
  return { key, kind, points, faults };
}

function faultLength(kind: FaultKind, random: () => number): number {
  switch (kind) {
    case "burst":
      return (1 + 2 * random()) * MIN;
    case "latency_shift":
      return (3 + 5 * random()) * MIN;
    case "error_storm":
      return (1 + 3 * random()) * MIN;
    case "leak":
      return (8 + 7 * random()) * MIN;
    case "stuck_worker":
      return (3 + 5 * random()) * MIN;
    case "event_loop_stall":
      return (1 + 2 * random()) * MIN;
  }
}

function align(ts: number, o: ScenarioOptions): number {
  return o.start + Math.round((ts - o.start) / o.intervalMs) * o.intervalMs;
}
