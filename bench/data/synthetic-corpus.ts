/**
 * The synthetic half of the development corpus: seeded series with the properties real
 * exports have — hourly and daily sampling, irregular spacing, gaps, repeated and
 * out-of-order timestamps, missing values, flat and quantised series, level shifts,
 * trends, daily and weekly seasonality, heavy-tailed noise and counters with resets —
 * each with labelled anomalies (start and end). Restarts, resets, gaps, seasonal peaks
 * and accepted level shifts after their start are NOT anomalies: alarms on them count
 * against the detector.
 */
import { normalFrom, poissonFrom, seededRandom } from "../../server/anomaly/synthetic";
import type { LabelledAnomaly } from "../../server/anomaly/window-scoring";

export interface LabelledSeries {
  name: string;
  /** Rows in file order (may repeat or step back in time); NaN = missing. */
  rows: { ts: number; value: number }[];
  anomalies: LabelledAnomaly[];
}

const H = 3_600_000;
const D = 24 * H;
const START = Date.UTC(2025, 2, 3); // a Monday

interface Builder {
  rows: { ts: number; value: number }[];
  anomalies: LabelledAnomaly[];
}

function build(n: number, step: number, f: (i: number, ts: number) => number, jitter = 0, random = Math.random): Builder {
  const rows: { ts: number; value: number }[] = [];
  let ts = START;
  for (let i = 0; i < n; i += 1) {
    rows.push({ ts, value: f(i, ts) });
    ts += step * (1 + jitter * (2 * random() - 1));
  }
  return { rows, anomalies: [] };
}

/** Adds `delta(k)` to `points` rows from `at` and labels them. */
function inject(b: Builder, at: number, points: number, delta: (k: number, v: number) => number): void {
  for (let k = 0; k < points && at + k < b.rows.length; k += 1) b.rows[at + k].value = delta(k, b.rows[at + k].value);
  b.anomalies.push({ start: b.rows[at].ts, end: b.rows[Math.min(b.rows.length - 1, at + points - 1)].ts });
}

const daily = (ts: number) => Math.sin((2 * Math.PI * ((ts - START) % D)) / D);
const weekday = (ts: number) => {
  const d = new Date(ts).getUTCDay();
  return d === 0 || d === 6 ? 0.4 : 1;
};

export function syntheticCorpus(seed = 13): LabelledSeries[] {
  const out: LabelledSeries[] = [];
  const add = (name: string, b: Builder) => out.push({ name: `synthetic/${name}`, rows: b.rows, anomalies: b.anomalies });
  let s = seed;
  const rng = () => {
    s += 1;
    return seededRandom(s);
  };

  {
    // Hourly, daily seasonality, three spikes and a dip.
    const r = rng();
    const g = normalFrom(r);
    const b = build(2_000, H, (_i, ts) => 100 + 20 * daily(ts) + 2 * g());
    inject(b, 700, 1, (_k, v) => v + 30);
    inject(b, 1_200, 1, (_k, v) => v - 25);
    inject(b, 1_650, 2, (_k, v) => v + 22);
    add("hourly-daily-seasonal", b);
  }
  {
    // Daily sampling, weekly pattern, upward trend, one level shift that persists.
    const r = rng();
    const g = normalFrom(r);
    let level = 0;
    const b = build(900, D, (i, ts) => 500 + 0.3 * i + 80 * weekday(ts) + level + 8 * g());
    for (let i = 600; i < 900; i += 1) b.rows[i].value += 120;
    level = 0;
    b.anomalies.push({ start: b.rows[600].ts, end: b.rows[602].ts });
    inject(b, 300, 1, (_k, v) => v - 90);
    add("daily-weekly-trend-shift", b);
  }
  {
    // 5-minute sampling with daily × weekday traffic; an outage day and a spike.
    const r = rng();
    const p = poissonFrom(r);
    const b = build(8_064, 5 * 60_000, (_i, ts) => p(40 * weekday(ts) * (1.2 + daily(ts))));
    inject(b, 5_000, 36, () => 0);
    inject(b, 7_000, 3, (_k, v) => v * 4 + 60);
    add("5min-weekly-traffic", b);
  }
  {
    // Irregular 30–90 s spacing, a 2-hour gap, missing values; a sustained doubling.
    const r = rng();
    const g = normalFrom(r);
    const b = build(6_000, 60_000, () => 50 + 3 * g(), 0.5, r);
    for (let i = 0; i < b.rows.length; i += 1) if (r() < 0.03) b.rows[i].value = Number.NaN;
    for (let i = 2_001; i < b.rows.length; i += 1) b.rows[i].ts += 2 * H;
    inject(b, 4_000, 30, (_k, v) => v * 2);
    add("irregular-gaps-missing", b);
  }
  {
    // 15-minute sampling with a repeated (daylight-saving) hour and a row out of order; a spike.
    const r = rng();
    const g = normalFrom(r);
    const b = build(3_000, 15 * 60_000, (_i, ts) => 10 + 2 * daily(ts) + 0.4 * g());
    inject(b, 2_400, 1, (_k, v) => v + 6);
    const repeated = b.rows.slice(1_000, 1_004).map((x) => ({ ts: x.ts, value: x.value + 0.2 * g() }));
    b.rows.splice(1_004, 0, ...repeated);
    b.rows.splice(2_000, 0, { ts: b.rows[2_000].ts, value: b.rows[2_000].value - 0.3 });
    const late = b.rows[1_500];
    b.rows.splice(1_503, 0, { ts: late.ts - 5 * 60_000, value: late.value });
    add("15min-repeated-out-of-order", b);
  }
  {
    // Flat at zero with rare ones (quantised); a burst.
    const r = rng();
    const b = build(5_000, 10_000, () => (r() < 0.02 ? 1 : 0));
    inject(b, 3_500, 6, () => 12);
    add("flat-quantised", b);
  }
  {
    // Integer counts every 10 s; the rate quadruples for two minutes.
    const r = rng();
    const p = poissonFrom(r);
    const b = build(6_000, 10_000, () => p(3));
    inject(b, 4_200, 12, () => p(12));
    add("poisson-counts", b);
  }
  {
    // A raw cumulative counter with two resets (restarts: not anomalies); a rate burst ×5.
    const r = rng();
    const p = poissonFrom(r);
    let total = 0;
    const increments = Array.from({ length: 6_000 }, (_x, i) => (i >= 4_500 && i < 4_518 ? p(25) : p(5)));
    const b = build(6_000, 10_000, (i) => {
      if (i === 1_500 || i === 3_000) total = 0;
      total += increments[i];
      return total;
    });
    b.anomalies.push({ start: b.rows[4_500].ts, end: b.rows[4_517].ts });
    add("counter-with-resets", b);
  }
  {
    // A steady trend (disk filling) with noise; a sudden jump.
    const r = rng();
    const g = normalFrom(r);
    const b = build(5_000, 60_000, (i) => 1e9 + 2e5 * i + 2e6 * g());
    inject(b, 3_800, 4, (_k, v) => v + 4e7);
    add("trend-disk", b);
  }
  {
    // Heavy-tailed latency (log-normal with rare slow requests) every 15 s; a sustained ×3.
    const r = rng();
    const g = normalFrom(r);
    const b = build(6_000, 15_000, () => 0.05 * Math.exp(0.5 * g()) * (r() < 0.01 ? 8 : 1));
    inject(b, 4_500, 20, (_k, v) => v * 3 + 0.1);
    add("heavy-tailed-latency", b);
  }
  {
    // A ratio in [0, 1] (cache hit ratio) near 0.97; a drop.
    const r = rng();
    const g = normalFrom(r);
    const b = build(4_000, 30_000, () => Math.min(1, 0.97 + 0.01 * g()));
    inject(b, 3_000, 10, (_k, v) => v - 0.25);
    add("ratio-drop", b);
  }
  {
    // A level shift that persists (a deploy): only its start is an anomaly.
    const r = rng();
    const g = normalFrom(r);
    const b = build(5_000, 30_000, (i) => (i >= 2_500 ? 300 : 200) + 5 * g());
    b.anomalies.push({ start: b.rows[2_500].ts, end: b.rows[2_505].ts });
    add("persistent-level-shift", b);
  }
  return out;
}
