import type pg from "pg";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seededRandom } from "../../../server/anomaly/synthetic";
import { PgSampleSource } from "../../../server/query/pg-sample-source";
import { type RangeQueryInput, rangeQuerySchema, runRangeQuery } from "../../../server/query/range-query";
import { Recorder } from "../../../server/recorder/recorder";
import { parseExposition } from "../../../server/scrape/exposition-parser";
import { createTimeseriesPool, QUERY_SESSION_SETTINGS } from "../../../server/store/timeseries-pool";
import { createTestDatabase, type TestDatabase } from "../../support/db";
import { type OracleProcess, promQueryRange, startPrometheusWithSamples } from "../../support/prometheus";

/**
 * Conformance against real Prometheus (Debian's 2.42): the same randomly generated samples
 * go into Prometheus (promtool backfill of an OpenMetrics text with timestamps) and into
 * Loopscope (the same text through Loopscope's parser and recorder into Postgres), then
 * every query of a battery is asked of both as query_range and every answer compared.
 * Steps whose window starts exactly on a sample are skipped: Prometheus 2 windows are
 * closed [t − w, t], Prometheus 3's and Loopscope's left-open (t − w, t]. Counters never
 * come near zero, so the v2/v3 difference in zero-clamped extrapolation never applies.
 */

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const END = Math.floor(Date.now() / MINUTE) * MINUTE - 30 * MINUTE;
const BEGIN = END - 70 * MINUTE;
const BOUNDS = ["0.005", "0.025", "0.1", "0.5", "2.5", "+Inf"];
const TOLERANCE = 1e-9;

const sampleTimes = new Set<number>();

/** OpenMetrics text: counters, gauges and a histogram, each series sampled every 8–12 s. */
function generate(): string {
  const rand = seededRandom(15);
  const lines: string[] = [];
  const times = () => {
    const out: number[] = [];
    for (let t = BEGIN + Math.floor(rand() * 10_000); t < END; t += 8_000 + Math.floor(rand() * 4_000)) out.push(t);
    for (const t of out) sampleTimes.add(t);
    return out;
  };
  const ts = (t: number) => (t / 1000).toFixed(3);
  const series = [
    { ctl: "a", grp: "x" },
    { ctl: "b", grp: "x" },
    { ctl: "c", grp: "y" },
    { ctl: "d", grp: "y" },
    { ctl: "e", grp: "y" },
  ];
  lines.push("# TYPE conf_reconcile counter");
  for (const { ctl, grp } of series) {
    let v = 10_000 + Math.floor(rand() * 1_000);
    for (const t of times()) {
      // Resets go to a large value: a window's first sample is never near zero.
      v = rand() < 0.01 ? 5_000 + Math.floor(rand() * 100) : v + (rand() < 0.2 ? 0 : Math.floor(rand() * 20) + rand());
      lines.push(`conf_reconcile_total{ctl="${ctl}",grp="${grp}"} ${v} ${ts(t)}`);
    }
  }
  lines.push("# TYPE conf_depth gauge");
  for (const { ctl, grp } of series) {
    let v = Math.floor(rand() * 50);
    for (const t of times()) {
      v = Math.max(0, v + Math.round((rand() - 0.5) * 8) / 2);
      lines.push(`conf_depth{ctl="${ctl}",grp="${grp}"} ${v} ${ts(t)}`);
    }
  }
  lines.push("# TYPE conf_latency_seconds histogram");
  for (const ctl of ["a", "b", "c"]) {
    const counts = BOUNDS.map((_, i) => 1_000 * (i + 1));
    let sum = 5_000;
    for (const t of times()) {
      const n = Math.floor(rand() * 30);
      for (let k = 0; k < n; k += 1) {
        const x = rand() ** 3 * 4;
        sum += x;
        for (let b = 0; b < BOUNDS.length; b += 1) if (b === BOUNDS.length - 1 || x <= Number(BOUNDS[b])) counts[b] += 1;
      }
      for (let b = 0; b < BOUNDS.length; b += 1) lines.push(`conf_latency_seconds_bucket{ctl="${ctl}",le="${BOUNDS[b]}"} ${counts[b]} ${ts(t)}`);
      lines.push(`conf_latency_seconds_count{ctl="${ctl}"} ${counts[BOUNDS.length - 1]} ${ts(t)}`);
      lines.push(`conf_latency_seconds_sum{ctl="${ctl}"} ${sum} ${ts(t)}`);
    }
  }
  lines.push("# EOF", "");
  return lines.join("\n");
}

interface Case {
  promql: string;
  loopscope: Omit<RangeQueryInput, "start" | "end" | "stepMs">;
  /** The range window (skip steps whose window starts on a sample), or undefined for instant values. */
  windowMs?: number;
}

const grp = (op: "sum" | "avg" | "max" | "min" | "count", by: string[] = ["grp"]) => ({ op, by });
const CASES: Case[] = [
  { promql: "rate(conf_reconcile_total[5m])", loopscope: { metric: "conf_reconcile_total", fn: "rate", windowMs: 5 * MINUTE }, windowMs: 5 * MINUTE },
  { promql: "increase(conf_reconcile_total[5m])", loopscope: { metric: "conf_reconcile_total", fn: "increase", windowMs: 5 * MINUTE }, windowMs: 5 * MINUTE },
  { promql: "rate(conf_reconcile_total[2m])", loopscope: { metric: "conf_reconcile_total", fn: "rate", windowMs: 2 * MINUTE }, windowMs: 2 * MINUTE },
  { promql: "increase(conf_reconcile_total[10m])", loopscope: { metric: "conf_reconcile_total", fn: "increase", windowMs: 10 * MINUTE }, windowMs: 10 * MINUTE },
  { promql: "sum by (grp) (rate(conf_reconcile_total[5m]))", loopscope: { metric: "conf_reconcile_total", fn: "rate", windowMs: 5 * MINUTE, aggregate: grp("sum") }, windowMs: 5 * MINUTE },
  { promql: "avg(rate(conf_reconcile_total[5m]))", loopscope: { metric: "conf_reconcile_total", fn: "rate", windowMs: 5 * MINUTE, aggregate: grp("avg", []) }, windowMs: 5 * MINUTE },
  { promql: "max by (grp) (rate(conf_reconcile_total[1m]))", loopscope: { metric: "conf_reconcile_total", fn: "rate", windowMs: MINUTE, aggregate: grp("max") }, windowMs: MINUTE },
  { promql: "min by (grp) (increase(conf_reconcile_total[3m]))", loopscope: { metric: "conf_reconcile_total", fn: "increase", windowMs: 3 * MINUTE, aggregate: grp("min") }, windowMs: 3 * MINUTE },
  { promql: "count by (grp) (rate(conf_reconcile_total[5m]))", loopscope: { metric: "conf_reconcile_total", fn: "rate", windowMs: 5 * MINUTE, aggregate: grp("count") }, windowMs: 5 * MINUTE },
  { promql: "sum by (grp) (conf_depth)", loopscope: { metric: "conf_depth", fn: "raw", aggregate: grp("sum") } },
  { promql: "max by (grp) (conf_depth)", loopscope: { metric: "conf_depth", fn: "raw", aggregate: grp("max") } },
  { promql: "min by (grp) (conf_depth)", loopscope: { metric: "conf_depth", fn: "raw", aggregate: grp("min") } },
  { promql: "avg(conf_depth)", loopscope: { metric: "conf_depth", fn: "raw", aggregate: grp("avg", []) } },
  { promql: "count by (grp) (conf_depth)", loopscope: { metric: "conf_depth", fn: "raw", aggregate: grp("count") } },
  { promql: "sum by (ctl, grp) (conf_depth)", loopscope: { metric: "conf_depth", fn: "raw", aggregate: grp("sum", ["ctl", "grp"]) } },
  { promql: "deriv(conf_depth[5m])", loopscope: { metric: "conf_depth", fn: "deriv", windowMs: 5 * MINUTE }, windowMs: 5 * MINUTE },
  { promql: "deriv(conf_depth[2m])", loopscope: { metric: "conf_depth", fn: "deriv", windowMs: 2 * MINUTE }, windowMs: 2 * MINUTE },
  {
    promql: "histogram_quantile(0.9, sum by (le) (rate(conf_latency_seconds_bucket[5m])))",
    loopscope: { metric: "conf_latency_seconds_bucket", fn: "histogram_quantile", quantile: 0.9, windowMs: 5 * MINUTE, aggregate: grp("sum", ["le"]) },
    windowMs: 5 * MINUTE,
  },
  {
    promql: "histogram_quantile(0.5, rate(conf_latency_seconds_bucket[5m]))",
    loopscope: { metric: "conf_latency_seconds_bucket", fn: "histogram_quantile", quantile: 0.5, windowMs: 5 * MINUTE },
    windowMs: 5 * MINUTE,
  },
  {
    promql: "histogram_quantile(0.99, sum by (ctl, le) (rate(conf_latency_seconds_bucket[10m])))",
    loopscope: { metric: "conf_latency_seconds_bucket", fn: "histogram_quantile", quantile: 0.99, windowMs: 10 * MINUTE, aggregate: grp("sum", ["ctl", "le"]) },
    windowMs: 10 * MINUTE,
  },
  { promql: "rate(conf_latency_seconds_count[5m])", loopscope: { metric: "conf_latency_seconds_count", fn: "rate", windowMs: 5 * MINUTE }, windowMs: 5 * MINUTE },
  { promql: "rate(conf_latency_seconds_sum[1m])", loopscope: { metric: "conf_latency_seconds_sum", fn: "rate", windowMs: MINUTE }, windowMs: MINUTE },
];

/** Steps (ms), each with a range start that is no multiple of it. */
const STEPS = [15 * SECOND, 30 * SECOND, 60 * SECOND, 5 * MINUTE];

const key = (labels: Record<string, string>) => {
  const { __name__: _name, ...rest } = labels;
  return JSON.stringify(Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : 1)));
};

let db: TestDatabase;
let writePool: pg.Pool;
let queryPool: pg.Pool;
let prometheus: OracleProcess;

beforeAll(async () => {
  const text = generate();
  db = await createTestDatabase();
  writePool = createTimeseriesPool(db.url, { applicationName: "loopscope-test-conformance", max: 2 });
  queryPool = createTimeseriesPool(db.url, { applicationName: "loopscope-test-conformance-q", max: 3, settings: QUERY_SESSION_SETTINGS });
  const recorder = new Recorder({ pool: writePool, log: pino({ level: "silent" }) });
  const parsed = parseExposition(text, { format: "openmetrics" });
  expect(recorder.recordScrape("target:1", parsed.families, END)).toBe(parsed.sampleCount);
  expect(await recorder.flush()).toBe(true);
  prometheus = await startPrometheusWithSamples(text);
}, 120_000);

afterAll(async () => {
  await prometheus?.stop();
  await queryPool?.end();
  await writePool?.end();
  await db?.drop();
});

describe("PromQL conformance with real Prometheus", () => {
  it(`answers ${CASES.length} expressions at ${STEPS.length} steps as Prometheus does, within ${TOLERANCE} relative`, async () => {
    const source = new PgSampleSource(queryPool);
    let compared = 0;
    let skipped = 0;
    let maxRelative = 0;
    const problems: string[] = [];
    for (const step of STEPS) {
      const start = BEGIN + 12 * MINUTE + 137 + (step % 7_001);
      const end = END - MINUTE;
      for (const c of CASES) {
        const expected = await promQueryRange(prometheus.url, c.promql, start, end, step);
        const actual = await runRangeQuery(source, rangeQuerySchema.parse({ ...c.loopscope, start, end, stepMs: step, maxPoints: 11_000 }));
        const mine = new Map(actual.series.map((s) => [key(s.labels), new Map(s.points)]));
        expect(new Set(mine.keys()), `${c.promql} @${step / 1000}s: series`).toEqual(new Set(expected.map((s) => key(s.metric))));
        for (const series of expected) {
          const points = mine.get(key(series.metric));
          for (const [seconds, text] of series.values) {
            const t = Math.round(seconds * 1000);
            if (c.windowMs !== undefined && sampleTimes.has(t - c.windowMs)) {
              skipped += 1;
              continue;
            }
            const want = Number(text);
            const got = points?.get(t);
            if (!Number.isFinite(want)) {
              if (got !== undefined) problems.push(`${c.promql} @${step / 1000}s t=${t}: Prometheus ${text}, Loopscope ${got}`);
              continue;
            }
            compared += 1;
            const scale = Math.max(Math.abs(want), Math.abs(got ?? 0));
            const relative = got === undefined ? Number.POSITIVE_INFINITY : scale === 0 ? 0 : Math.abs(got - want) / scale;
            maxRelative = Math.max(maxRelative, relative);
            if (!(relative <= TOLERANCE)) problems.push(`${c.promql} @${step / 1000}s ${key(series.metric)} t=${t}: Prometheus ${want}, Loopscope ${got}`);
          }
          // Loopscope has no value where Prometheus has none.
          const theirs = new Set(series.values.map(([s]) => Math.round(s * 1000)));
          for (const t of points?.keys() ?? []) if (!theirs.has(t)) problems.push(`${c.promql} @${step / 1000}s t=${t}: Loopscope has a value, Prometheus none`);
        }
      }
    }
    console.log(JSON.stringify({ conformance: { expressions: CASES.length, steps: STEPS.map((s) => s / 1000), compared, skippedWindowEdges: skipped, maxRelative } }));
    expect(problems.slice(0, 20)).toEqual([]);
    expect(compared).toBeGreaterThan(5_000);
  }, 180_000);
});
