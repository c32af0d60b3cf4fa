/**
 * The "operational" part of the development corpus: seeded series shaped like the
 * production metrics people feed an anomaly detector offline — 5-minute server metrics
 * (CPU, network, disk, request counts, latency), social-media mention counts, freeway
 * traffic speed, a machine temperature, hourly ad prices, half-hourly demand with daily
 * and weekly cycles, and series with no anomaly at all — a few thousand points each,
 * with the nuisances real data has (heavy-tailed spikes that are normal, bursts that
 * recur, quantised values, slow wander, daily and weekly cycles).
 *
 * Labels follow the convention of window-scored benchmarks: one timestamp per anomaly,
 * where it begins (start = end), and the scoring window is centred on it. Normal spikes,
 * recurring bursts and seasonal peaks are not labelled: detections on them are false
 * positives. Written from general knowledge of such data, not from any benchmark's files.
 */
import { normalFrom, poissonFrom, seededRandom } from "../../server/anomaly/synthetic";
import type { LabelledSeries } from "./synthetic-corpus";

const MIN = 60_000;
const H = 60 * MIN;
const D = 24 * H;
const START = Date.UTC(2024, 3, 1); // a Monday

interface Draw {
  u: () => number;
  g: () => number;
  p: (mean: number) => number;
}

function draws(seed: number): Draw {
  const u = seededRandom(seed);
  return { u, g: normalFrom(u), p: poissonFrom(u) };
}

/** Hour of the day (UTC, fractional) and whether the day is a weekend. */
const hourOf = (ts: number) => ((ts - START) % D) / H;
const weekend = (ts: number) => {
  const d = new Date(ts).getUTCDay();
  return d === 0 || d === 6;
};
/** A daily cycle peaking mid-afternoon, in [−1, 1]. */
const dayCycle = (ts: number) => Math.sin((2 * Math.PI * (hourOf(ts) - 9)) / 24);
/** A bump around hour h of width w hours, in [0, 1]. */
const bump = (ts: number, h: number, w: number) => Math.exp(-0.5 * ((hourOf(ts) - h) / w) ** 2);

interface Series {
  name: string;
  step: number;
  values: number[];
  /** Indices where an anomaly begins. */
  at: number[];
}

function labelled(s: Series): LabelledSeries {
  const rows = s.values.map((value, i) => ({ ts: START + i * s.step, value }));
  return { name: `operational/${s.name}`, rows, anomalies: s.at.map((i) => ({ start: rows[i].ts, end: rows[i].ts })) };
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

/** CPU utilisation (%): a steady level, Gaussian noise and normal spikes; a level shift that lasts. */
function cpuLevelShift(seed: number): Series {
  const { u, g } = draws(seed);
  const n = 4_032;
  const shiftAt = 2_400 + Math.floor(u() * 600);
  const level = 30 + 20 * u();
  const values = Array.from({ length: n }, (_x, i) => {
    let v = level + 2.5 * g();
    if (u() < 0.004) v += 8 + 15 * u();
    if (i >= shiftAt && i < shiftAt + 400) v += 18;
    return round(Math.min(100, Math.max(0, v)), 3);
  });
  return { name: `cpu-level-shift-${seed}`, step: 5 * MIN, values, at: [shiftAt] };
}

/** CPU with a daily cycle; once, the variance explodes for a few hours (a thrashing host). */
function cpuDailyVariance(seed: number): Series {
  const { u, g } = draws(seed);
  const n = 4_032;
  const at = 2_000 + Math.floor(u() * 1_500);
  const values = Array.from({ length: n }, (_x, i) => {
    const ts = START + i * 5 * MIN;
    let v = 40 + 15 * dayCycle(ts) + 2 * g();
    if (i >= at && i < at + 36) v += 18 * g();
    return round(Math.min(100, Math.max(0, v)), 2);
  });
  return { name: `cpu-daily-variance-${seed}`, step: 5 * MIN, values, at: [at] };
}

/** Requests per 5 minutes: Poisson with daily and weekday cycles; an outage and a surge. */
function requestsWeekly(seed: number): Series {
  const { u, p } = draws(seed);
  const n = 4_032;
  const outage = 1_500 + Math.floor(u() * 800);
  const surge = 3_000 + Math.floor(u() * 800);
  const values = Array.from({ length: n }, (_x, i) => {
    const ts = START + i * 5 * MIN;
    let mean = 200 * (weekend(ts) ? 0.5 : 1) * (1.1 + 0.8 * dayCycle(ts));
    if (i >= outage && i < outage + 18) mean *= 0.08;
    if (i >= surge && i < surge + 10) mean *= 2.8;
    return p(mean);
  });
  return { name: `requests-weekly-${seed}`, step: 5 * MIN, values, at: [outage, surge] };
}

/** Latency (ms): lognormal with frequent normal spikes; the median rises by 80 % for hours. */
function latencyLognormal(seed: number): Series {
  const { u, g } = draws(seed);
  const n = 4_032;
  const at = 2_200 + Math.floor(u() * 1_200);
  const values = Array.from({ length: n }, (_x, i) => {
    let v = 120 * Math.exp(0.25 * g());
    if (u() < 0.01) v *= 2 + 3 * u();
    if (i >= at && i < at + 90) v *= 1.8;
    return round(v, 1);
  });
  return { name: `latency-lognormal-${seed}`, step: 5 * MIN, values, at: [at] };
}

/** Mentions per 5 minutes: daily cycle, bursts that are normal; two large news bursts. */
function mentionsBursty(seed: number): Series {
  const { u, p } = draws(seed);
  const n = 4_500;
  const a1 = 1_200 + Math.floor(u() * 1_000);
  const a2 = 3_000 + Math.floor(u() * 1_200);
  let burst = 0;
  const values = Array.from({ length: n }, (_x, i) => {
    const ts = START + i * 5 * MIN;
    if (burst <= 0 && u() < 0.01) burst = 2 + Math.floor(u() * 4);
    let mean = 12 * (1.2 + 0.8 * dayCycle(ts));
    if (burst > 0) {
      mean *= 2.5;
      burst -= 1;
    }
    for (const a of [a1, a2]) if (i >= a && i < a + 24) mean *= 7 * Math.exp(-(i - a) / 12);
    return p(mean);
  });
  return { name: `mentions-bursty-${seed}`, step: 5 * MIN, values, at: [a1, a2] };
}

/** Freeway speed (mph): weekday rush hours slow traffic; once, a crash slows it at night. */
function trafficSpeed(seed: number): Series {
  const { u, g } = draws(seed);
  const n = 3_500;
  const crash = 1_800 + Math.floor(u() * 1_200);
  const values = Array.from({ length: n }, (_x, i) => {
    const ts = START + i * 5 * MIN;
    let v = 66 + 2 * g();
    if (!weekend(ts)) v -= 22 * bump(ts, 8, 1) + 26 * bump(ts, 17.5, 1.2);
    if (i >= crash && i < crash + 14) v -= 30 * Math.sin((Math.PI * (i - crash)) / 14);
    return Math.round(Math.max(3, v));
  });
  return { name: `traffic-speed-${seed}`, step: 5 * MIN, values, at: [crash] };
}

/** Machine temperature: slow wander around a set point; a planned stop, then a failure that starts as a slow decline. */
function machineTemperature(seed: number): Series {
  const { u, g } = draws(seed);
  const n = 5_000;
  const fail = 3_300 + Math.floor(u() * 800);
  let wander = 0;
  const values = Array.from({ length: n }, (_x, i) => {
    wander = 0.995 * wander + 0.25 * g();
    let v = 85 + wander + 0.6 * g();
    if (i >= fail && i < fail + 150) v -= 0.12 * (i - fail);
    if (i >= fail + 150 && i < fail + 190) v -= 45;
    return round(v, 2);
  });
  return { name: `machine-temperature-${seed}`, step: 5 * MIN, values, at: [fail] };
}

/** Ad cost per click, hourly: lognormal with a daily cycle; a price spike and a lasting drop. */
function adPriceHourly(seed: number): Series {
  const { u, g } = draws(seed);
  const n = 1_600;
  const spike = 500 + Math.floor(u() * 400);
  const drop = 1_100 + Math.floor(u() * 300);
  const values = Array.from({ length: n }, (_x, i) => {
    const ts = START + i * H;
    let v = 0.8 * (1 + 0.25 * dayCycle(ts)) * Math.exp(0.12 * g());
    if (i === spike || i === spike + 1) v *= 3.2;
    if (i >= drop) v *= 0.55;
    return round(v, 4);
  });
  return { name: `ad-price-hourly-${seed}`, step: H, values, at: [spike, drop] };
}

/** Disk writes (bytes / 5 min): near zero, a nightly backup burst that is normal; a burst at noon and a runaway writer. */
function diskWrites(seed: number): Series {
  const { u, g } = draws(seed);
  const n = 4_032;
  const odd = 1_600 + Math.floor(u() * 700);
  const runaway = 3_000 + Math.floor(u() * 700);
  const values = Array.from({ length: n }, (_x, i) => {
    const ts = START + i * 5 * MIN;
    let v = Math.max(0, 2e5 * (1 + 0.5 * g()));
    if (hourOf(ts) >= 2 && hourOf(ts) < 2.5) v += 5e7 * (1 + 0.1 * g());
    if (i >= odd && i < odd + 6) v += 5e7;
    if (i >= runaway && i < runaway + 60) v += 2e7;
    return Math.round(v);
  });
  const at = [odd, runaway].map((i) => i);
  return { name: `disk-writes-${seed}`, step: 5 * MIN, values, at };
}

/** Load-balancer latency (s), quantised to milliseconds, bimodal; a step up that persists for a day. */
function lbLatencyQuantised(seed: number): Series {
  const { u, g } = draws(seed);
  const n = 4_032;
  const at = 2_000 + Math.floor(u() * 1_500);
  const values = Array.from({ length: n }, (_x, i) => {
    let v = u() < 0.8 ? 0.012 + 0.002 * g() : 0.035 + 0.006 * g();
    if (i >= at && i < at + 288) v += 0.02;
    return round(Math.max(0.001, v), 3);
  });
  return { name: `lb-latency-quantised-${seed}`, step: 5 * MIN, values, at: [at] };
}

/** A clean daily wave that jumps up by half for a while. */
function artificialJump(seed: number): Series {
  const { u, g } = draws(seed);
  const n = 4_032;
  const at = 2_000 + Math.floor(u() * 1_500);
  const values = Array.from({ length: n }, (_x, i) => {
    const ts = START + i * 5 * MIN;
    let v = 50 + 20 * dayCycle(ts) + 1.5 * g();
    if (i >= at && i < at + 144) v += 30;
    return round(v, 3);
  });
  return { name: `artificial-jump-${seed}`, step: 5 * MIN, values, at: [at] };
}

/** A daily wave that stops: the sensor flatlines for half a day. */
function artificialFlatline(seed: number): Series {
  const { u, g } = draws(seed);
  const n = 4_032;
  const at = 2_000 + Math.floor(u() * 1_500);
  let stuck = 0;
  const values = Array.from({ length: n }, (_x, i) => {
    const ts = START + i * 5 * MIN;
    const v = 50 + 20 * dayCycle(ts) + 1.5 * g();
    if (i === at) stuck = v;
    return round(i >= at && i < at + 150 ? stuck : v, 3);
  });
  return { name: `artificial-flatline-${seed}`, step: 5 * MIN, values, at: [at] };
}

/** Series with no anomaly at all: every detection is a false positive. */
function noAnomaly(seed: number): Series {
  const { u, g, p } = draws(seed);
  const n = 4_032;
  const kind = seed % 3;
  const values = Array.from({ length: n }, (_x, i) => {
    const ts = START + i * 5 * MIN;
    if (kind === 0) return round(20 + 3 * g() + (u() < 0.003 ? 10 * u() : 0), 3);
    if (kind === 1) return p(30 * (1.2 + dayCycle(ts)));
    return round(10 * Math.exp(0.4 * g()), 2);
  });
  return { name: `no-anomaly-${seed}`, step: 5 * MIN, values, at: [] };
}

/** Network in (bytes): heavy-tailed bursts are normal; a sustained tripling. */
function networkHeavyTail(seed: number): Series {
  const { u, g } = draws(seed);
  const n = 4_032;
  const at = 2_000 + Math.floor(u() * 1_500);
  const values = Array.from({ length: n }, (_x, i) => {
    let v = 4e6 * Math.exp(0.2 * g());
    if (u() < 0.02) v *= 1 + 4 / Math.max(0.05, u());
    if (i >= at && i < at + 40) v *= 3;
    return Math.round(v);
  });
  return { name: `network-heavy-tail-${seed}`, step: 5 * MIN, values, at: [at] };
}

/** Half-hourly demand with daily and weekly cycles; a holiday (a weekday like a Sunday) and an event surge. */
function demandHalfHourly(seed: number): Series {
  const { u, g } = draws(seed);
  const n = 6_000;
  const holidayDay = 70 + Math.floor(u() * 20);
  const surge = 100 * 48 + Math.floor(u() * 10 * 48);
  const values = Array.from({ length: n }, (_x, i) => {
    const ts = START + i * 30 * MIN;
    const day = Math.floor(i / 48);
    const quiet = weekend(ts) || day === holidayDay;
    let v = 15_000 * (quiet ? 0.7 : 1) * (1 + 0.6 * dayCycle(ts)) * (1 + 0.04 * g());
    if (i >= surge && i < surge + 4) v *= 1.9;
    return Math.round(v);
  });
  // The holiday is labelled where it begins to differ: its morning.
  const holiday = holidayDay * 48 + 14;
  return { name: `demand-half-hourly-${seed}`, step: 30 * MIN, values, at: new Date(START + holidayDay * D).getUTCDay() % 6 === 0 ? [surge] : [holiday, surge] };
}

/** Key presses per 5 minutes of a person: sparse; a bot holds a key for an hour. */
function rogueKeys(seed: number): Series {
  const { u, p } = draws(seed);
  const n = 4_032;
  const at = 2_000 + Math.floor(u() * 1_500);
  const values = Array.from({ length: n }, (_x, i) => {
    const ts = START + i * 5 * MIN;
    const awake = hourOf(ts) > 8 && hourOf(ts) < 22;
    let mean = awake ? (u() < 0.3 ? 20 : 1) : 0.1;
    if (i >= at && i < at + 12) mean = 150;
    return p(mean);
  });
  return { name: `rogue-keys-${seed}`, step: 5 * MIN, values, at: [at] };
}

/** The operational corpus: two realisations of each kind (different seeds). */
export function operationalCorpus(seed = 101): LabelledSeries[] {
  const makers = [
    cpuLevelShift,
    cpuDailyVariance,
    requestsWeekly,
    latencyLognormal,
    mentionsBursty,
    trafficSpeed,
    machineTemperature,
    adPriceHourly,
    diskWrites,
    lbLatencyQuantised,
    artificialJump,
    artificialFlatline,
    noAnomaly,
    networkHeavyTail,
    demandHalfHourly,
    rogueKeys,
  ];
  const out: LabelledSeries[] = [];
  for (let r = 0; r < 2; r += 1) for (const [k, make] of makers.entries()) out.push(labelled(make(seed + 100 * r + k)));
  return out;
}
