/**
 * Detection quality on the demo cluster's own injected faults, scored honestly against
 * the fault schedule (ground truth), plus detector throughput.
 *
 *   npm run bench:detect:demo                        run Loopscope's services (embedded Postgres, demo
 *                                                    cluster, recorder, anomaly detection) in this process
 *                                                    for one whole fault cycle (~20 min), then score
 *   npm run bench:detect:demo -- --record <dir>      … and keep every watched series (CSV) and the
 *                                                    ground truth in <dir>
 *   npm run bench:detect:demo -- --replay <dir>      score the current detector on a recording (seconds):
 *                                                    the backtest code path over the recorded series
 *   npm run bench:detect:demo -- --url <baseUrl>     score a running Loopscope (demo source)
 *
 * Scoring: a fault counts as detected only by a window on a series relevant to it (its
 * controller's series; for leaks also the process-wide resource series) that the detector
 * opened (detectedAt) between the fault's start and its end plus GRACE_MS. A window that
 * overlaps no fault (± GRACE_MS) on one of its relevant series is a false positive.
 * Time to detect = detectedAt − fault start. The last line is one JSON object.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { parseSeriesCsv } from "../server/anomaly/csv";
import { median } from "../server/anomaly/evaluation";
import { analyzeSeries, SeriesMonitor } from "../server/anomaly/monitor";
import { detectorDefaultsFor, type SeriesQuery, seriesQuerySchema } from "../server/anomaly/watched-series";
import { freePort } from "../test/support/app-process";

/** How long after a fault's end a window may still open and count (metrics use a 60 s rate window). */
const GRACE_MS = 30_000;
/** Live detection evaluates every 10 s; a replay adds this to each confirmation (worst case). */
const LIVE_EVALUATION_LAG_MS = 10_000;
const FAULTS_PER_CYCLE = 8;

interface Fault {
  id: number;
  fault: string;
  controller: string;
  start: number;
  end: number;
}

interface ScoredWindow {
  seriesKey: string;
  start: number;
  end: number | null;
  detectedAt: number;
  peakScore: number;
  direction: string;
}

/** A built-in or user alert rule that started firing. */
interface FiredAlert {
  rule: string;
  at: number;
}

interface Recording {
  faults: Fault[];
  alerts?: FiredAlert[];
  series: Array<{ key: string; query: SeriesQuery; sensitivity: string; points: Array<[number, number]> }>;
  windows: ScoredWindow[];
  until: number;
}

const CONTROLLER_SERIES = ["queue_depth", "adds_rate", "queue_latency_p99", "work_duration_p99", "error_rate", "retries_rate", "active_workers", "unfinished_work"];

/** Series of no one controller: the process that runs them all (resources, leak suspects, event loop). */
const isProcessWide = (key: string) => !key.includes("{controller=");

/**
 * The series on which a window may detect a fault: the faulted controller's own series
 * ("which controller, since when"), and the process-wide ones, since every controller runs
 * in the one process they describe. Another controller's series are not relevant.
 */
function relevantSeries(fault: Fault, allSeries: readonly string[]): string[] {
  const own = CONTROLLER_SERIES.map((what) => `${what}{controller=${JSON.stringify(fault.controller)}}`);
  return [...own, ...allSeries.filter(isProcessWide)];
}

interface Score {
  recall: number;
  precision: number;
  /** Precision counting any window that overlaps a fault (on any series) as a match. */
  precisionAnySeries: number;
  medianTtdS: number | null;
  perFault: Array<{ fault: Fault; ttdS: number | null; by: string | null; windows: number }>;
  falsePositives: ScoredWindow[];
}

function score(faults: readonly Fault[], windows: readonly ScoredWindow[], until: number): Score {
  const allSeries = [...new Set(windows.map((w) => w.seriesKey))];
  const relevant = new Map(faults.map((f) => [f, relevantSeries(f, allSeries)]));
  const perFault = faults.map((fault) => {
    const series = relevant.get(fault)!;
    const hits = windows
      .filter((w) => series.includes(w.seriesKey) && w.detectedAt >= fault.start && w.detectedAt <= fault.end + GRACE_MS)
      .sort((a, b) => a.detectedAt - b.detectedAt);
    return { fault, ttdS: hits.length === 0 ? null : (hits[0].detectedAt - fault.start) / 1000, by: hits[0]?.seriesKey ?? null, windows: hits.length };
  });
  const overlaps = (w: ScoredWindow, f: Fault) => w.start <= f.end + GRACE_MS && (w.end ?? until) >= f.start - GRACE_MS;
  const falsePositives = windows.filter((w) => !faults.some((f) => relevant.get(f)!.includes(w.seriesKey) && overlaps(w, f)));
  const anyOverlap = windows.filter((w) => faults.some((f) => overlaps(w, f))).length;
  const ttd = perFault.flatMap((o) => (o.ttdS === null ? [] : [o.ttdS]));
  return {
    recall: faults.length === 0 ? 1 : ttd.length / faults.length,
    precision: windows.length === 0 ? 1 : (windows.length - falsePositives.length) / windows.length,
    precisionAnySeries: windows.length === 0 ? 1 : anyOverlap / windows.length,
    medianTtdS: median(ttd),
    perFault,
    falsePositives,
  };
}

/** Replays every recorded series through the live monitor (the backtest code path). */
function replay(recording: Recording): { windows: ScoredWindow[]; points: number } {
  const windows: ScoredWindow[] = [];
  let points = 0;
  for (const s of recording.series) {
    const defaults = detectorDefaultsFor(s.query);
    const sensitivity = s.sensitivity === "low" || s.sensitivity === "high" ? s.sensitivity : "medium";
    const analysis = analyzeSeries(s.points, { direction: defaults.direction, sensitivity }, { seriesKey: s.key, params: defaults.params });
    points += s.points.length;
    for (const w of analysis.windows) {
      windows.push({ seriesKey: w.seriesKey, start: w.start, end: w.end, detectedAt: w.detectedAt + LIVE_EVALUATION_LAG_MS, peakScore: w.peakScore, direction: w.direction });
    }
  }
  return { windows, points };
}

/** Points per second through 1,000 monitors fed round-robin with the recorded series. */
function throughput(recording: Recording): number {
  const inputs = recording.series.filter((s) => s.points.length > 0).map((s) => s.points);
  if (inputs.length === 0) return 0;
  const length = Math.min(...inputs.map((p) => p.length));
  const monitors = Array.from({ length: 1_000 }, (_, i) => new SeriesMonitor(`t${i}`));
  let sink = 0;
  const t0 = performance.now();
  for (let i = 0; i < length; i += 1) {
    for (let m = 0; m < monitors.length; m += 1) sink += monitors[m].step(inputs[m % inputs.length][i][0], inputs[m % inputs.length][i][1]).point.score;
  }
  if (Number.isNaN(sink)) throw new Error("unreachable");
  return (monitors.length * length) / ((performance.now() - t0) / 1000);
}

function writeRecording(dir: string, recording: Recording): void {
  fs.mkdirSync(path.join(dir, "series"), { recursive: true });
  const index = recording.series.map((s, i) => {
    const file = `series/${String(i).padStart(2, "0")}.csv`;
    fs.writeFileSync(path.join(dir, file), ["timestamp,value", ...s.points.map(([ts, v]) => `${ts},${v}`)].join("\n"));
    return { key: s.key, query: s.query, sensitivity: s.sensitivity, file };
  });
  fs.writeFileSync(
    path.join(dir, "recording.json"),
    JSON.stringify({ faults: recording.faults, series: index, windows: recording.windows, until: recording.until, alerts: recording.alerts ?? [] }, null, 1),
  );
}

function readRecording(dir: string): Recording {
  const meta = JSON.parse(fs.readFileSync(path.join(dir, "recording.json"), "utf8")) as {
    faults: Fault[];
    series: Array<{ key: string; query: unknown; sensitivity: string; file: string }>;
    windows: ScoredWindow[];
    until: number;
    alerts?: FiredAlert[];
  };
  // Recordings made before the run stopped ahead of the next cycle ran on into it: score as if it had.
  const until = Math.min(meta.until, Math.max(...meta.faults.map((f) => f.end)) + GRACE_MS + 30_000);
  return {
    faults: meta.faults,
    alerts: meta.alerts,
    windows: meta.windows.filter((w) => w.start <= until).map((w) => (w.end !== null && w.end > until ? { ...w, end: null } : w)),
    until,
    series: meta.series.map((s) => ({
      key: s.key,
      query: seriesQuerySchema.parse(s.query),
      sensitivity: s.sensitivity,
      points: parseSeriesCsv(fs.readFileSync(path.join(dir, s.file), "utf8"))
        .filter((r) => r.ts <= until)
        .map((r) => [r.ts, r.value] as [number, number]),
    })),
  };
}

interface FaultReportWindow {
  id: number;
  fault: string;
  controller: string;
  startAt: number;
  endAt: number | null;
  state: string;
}

function pastFaults(windows: readonly FaultReportWindow[]): Fault[] {
  return windows
    .filter((w) => w.state === "past" && w.endAt !== null)
    .map((w) => ({ id: w.id, fault: w.fault, controller: w.controller, start: w.startAt, end: w.endAt as number }));
}

async function fromUrl(base: string): Promise<Recording> {
  const call = async <T>(procedure: string, input?: unknown): Promise<T> => {
    const query = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`;
    const response = await fetch(`${base}/api/trpc/${procedure}${query}`);
    if (!response.ok) throw new Error(`${procedure}: HTTP ${response.status} ${await response.text()}`);
    return ((await response.json()) as { result: { data: T } }).result.data;
  };
  const report = await call<{ windows: FaultReportWindow[] } | null>("runtime.faults");
  if (!report) throw new Error("the running source injects no faults (is it the demo cluster?)");
  const faults = pastFaults(report.windows);
  const from = Math.min(...faults.map((f) => f.start)) - 60_000;
  const until = Date.now();
  const windows = await call<ScoredWindow[]>("anomaly.windows", { from, to: until, limit: 10_000 });
  return { faults, windows, series: [], until };
}

/** Runs the services in this process for one whole fault cycle and records what they saw. */
async function runDemo(): Promise<Recording> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-detect-demo-"));
  fs.chmodSync(dataDir, 0o755); // embedded Postgres may run as another user
  process.env.LOOPSCOPE_SOURCE = "demo";
  process.env.LOOPSCOPE_DEMO_SCHEDULE ??= "all";
  process.env.LOOPSCOPE_DATA_DIR = dataDir;
  process.env.LOOPSCOPE_PG_PORT = String(await freePort());
  process.env.LOOPSCOPE_LOG_LEVEL ??= "warn";
  const { loadConfig } = await import("../server/config");
  const { log } = await import("../server/log");
  const { ServiceSet } = await import("../server/lifecycle/service-set");
  const { metricsRegistry } = await import("../server/metrics/registry");
  const { provideService, service } = await import("../server/service-registry");
  const { wireServices } = await import("../server/services");
  const { openDatabase } = await import("../server/store/database");
  const { migrate } = await import("../server/store/migrate");
  const { disconnectAll } = await import("../server/store/prisma");
  const { recordedSeriesFetcher } = await import("../server/anomaly/recorded-series");

  const config = loadConfig();
  const quiet = log.child({ component: "bench" });
  const database = await openDatabase(config, quiet);
  const services = new ServiceSet(quiet);
  try {
    await migrate(database.url);
    provideService("system", { startedAt: Date.now(), databaseKind: "embedded", databaseUrl: database.url, databaseState: "ready" });
    metricsRegistry();
    await services.start(await wireServices({ config, databaseUrl: database.url, log: quiet }));
    const runtime = service("runtime");
    const report = () => runtime.faults()?.windows ?? [];
    const started = Date.now();
    for (let tick = 0; ; tick += 1) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const windows = report();
      const last = windows.find((w) => w.id === FAULTS_PER_CYCLE - 1);
      const current = windows.find((w) => w.state === "active");
      if (tick % 10 === 0) process.stderr.write(`\r${Math.round((Date.now() - started) / 1000)} s: ${current ? `${current.fault}@${current.controller}` : "quiet"}      `);
      // One whole cycle, stopping just before the next cycle's first fault would start.
      const next = windows.find((w) => w.id === FAULTS_PER_CYCLE);
      if (last?.endAt && next && Date.now() > Math.min(next.startAt - 2_000, last.endAt + GRACE_MS + 30_000)) break;
    }
    process.stderr.write("\n");
    const anomaly = service("anomaly");
    await anomaly.evaluate();
    const until = Date.now();
    const faults = pastFaults(report()).filter((f) => f.id < FAULTS_PER_CYCLE);
    const from = started - 1_000;
    const windows = await anomaly.windows({ from, to: until, limit: 10_000 });
    const fetch = recordedSeriesFetcher((q) => service("query").range(q), config.LOOPSCOPE_SCRAPE_INTERVAL);
    const series: Recording["series"] = [];
    for (const w of await anomaly.watched()) {
      if (!w.enabled) continue;
      series.push({ key: w.key, query: w.query, sensitivity: w.sensitivity, points: await fetch(w.query, from, until) });
    }
    const { prismaClient } = await import("../server/store/prisma");
    const fired = await prismaClient(database.url).$queryRaw<Array<{ rule: string; at: Date }>>`
      SELECT r.name AS rule, e.at FROM alert_events e JOIN alert_rules r ON r.id = e.rule_id WHERE e.state = 'firing' ORDER BY e.at`;
    return { faults, windows, series, until, alerts: fired.map((a) => ({ rule: a.rule, at: a.at.getTime() })) };
  } finally {
    await services.stop();
    await disconnectAll().catch(() => undefined);
    await database.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function fmt(x: number | null, digits = 3): string {
  return x === null ? "–" : x.toFixed(digits);
}

function print(label: string, s: Score, faults: readonly Fault[], windows: number): void {
  const t0 = Math.min(...faults.map((f) => f.start));
  console.log(`\n${label}`);
  console.log(`${"fault".padEnd(13)} ${"controller".padEnd(12)} ${"at".padStart(6)} ${"length".padStart(7)} ${"ttd".padStart(7)}  first window`);
  for (const o of s.perFault) {
    const at = `${Math.round((o.fault.start - t0) / 1000)} s`;
    const length = `${Math.round((o.fault.end - o.fault.start) / 1000)} s`;
    console.log(`${o.fault.fault.padEnd(13)} ${o.fault.controller.padEnd(12)} ${at.padStart(6)} ${length.padStart(7)} ${(o.ttdS === null ? "missed" : `${o.ttdS.toFixed(1)} s`).padStart(7)}  ${o.by ?? ""}`);
  }
  for (const w of s.falsePositives) {
    console.log(`false positive: ${w.seriesKey} ${Math.round((w.start - t0) / 1000)} s … ${w.end === null ? "open" : `${Math.round((w.end - t0) / 1000)} s`} peak ${w.peakScore.toFixed(2)} ${w.direction}`);
  }
  console.log(`recall ${fmt(s.recall)}, precision ${fmt(s.precision)} (${windows} windows; any-series precision ${fmt(s.precisionAnySeries)}), median time to detect ${fmt(s.medianTtdS, 1)} s`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { record: { type: "string" }, replay: { type: "string" }, url: { type: "string" } } });
  let recording: Recording;
  let source: string;
  if (values.replay) {
    recording = readRecording(values.replay);
    source = "demo-replay";
  } else if (values.url) {
    recording = await fromUrl(values.url);
    source = "demo-url";
  } else {
    recording = await runDemo();
    source = "demo";
    if (values.record) writeRecording(values.record, recording);
  }
  const { faults } = recording;
  if (faults.length === 0) throw new Error("no finished faults to score");
  if (recording.alerts) {
    const t0 = Math.min(...faults.map((f) => f.start));
    const during = (a: FiredAlert) => faults.find((f) => a.rule.endsWith(`/${f.controller}`) && a.at >= f.start && a.at <= f.end + 5 * 60_000);
    console.log(`alerts fired: ${recording.alerts.length}`);
    for (const a of recording.alerts) {
      const f = during(a);
      console.log(`  ${a.rule.padEnd(30)} at ${Math.round((a.at - t0) / 1000)} s ${f ? `(within 5 min of ${f.fault}@${f.controller})` : "(no fault of its controller in the 5 min before)"}`);
    }
  }

  let live: Score | null = null;
  if (recording.windows.length > 0 || source !== "demo-replay") {
    live = score(faults, recording.windows, recording.until);
    print(source === "demo-replay" ? "live windows stored with the recording" : "live windows", live, faults, recording.windows.length);
  }
  let replayed: Score | null = null;
  let pointsPerS = 0;
  if (recording.series.length > 0) {
    const t0 = performance.now();
    const { windows, points } = replay(recording);
    const seconds = (performance.now() - t0) / 1000;
    replayed = score(faults, windows, recording.until);
    print(`replay of ${recording.series.length} recorded series (${points} points in ${seconds.toFixed(2)} s) through the current detector`, replayed, faults, windows.length);
    pointsPerS = throughput(recording);
    console.log(`throughput: ${Math.round(pointsPerS).toLocaleString("en")} points/s (1,000 series fed round-robin)`);
  }
  const main = source === "demo-replay" ? replayed! : (live ?? replayed!);
  const windows = source === "demo-replay" ? replay(recording).windows.length : recording.windows.length;
  const round = (x: number) => Math.round(x * 1000) / 1000;
  console.log(
    JSON.stringify({
      recall: round(main.recall),
      precision: round(main.precision),
      median_time_to_detect_s: main.medianTtdS,
      points_per_s: Math.round(pointsPerS),
      faults: faults.length,
      windows,
      false_positives: main.falsePositives.length,
      time_to_detect_s: Object.fromEntries(main.perFault.map((o) => [o.fault.fault, o.ttdS])),
      ...(replayed && live ? { replay: { recall: round(replayed.recall), precision: round(replayed.precision), median_time_to_detect_s: replayed.medianTtdS } } : {}),
      source,
    }),
  );
}

await main();
process.exit(0);
