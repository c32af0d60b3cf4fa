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
 * The run injects BENCH_SCHEDULE: the slow-reconcile fault on every controller, at the
 * loud size (25×) and at a realistic one (3×), 15 % errors, bursts of 2,000 and of 200
 * objects. Scoring is honest: each fault kind names the series it is meant to move
 * (SERIES_MOVED_BY, on the faulted controller; process-wide series only where the kind
 * names them). A fault counts as detected only by a window on one of those series that
 * the detector opened (detectedAt) between the fault's start and its end plus GRACE_MS
 * (10 s, shorter than the 50–70 s quiet gap). Every other window is a false positive —
 * on another series during a fault (process-wide ones included), or opened in a quiet
 * period (however far into a later fault it lasts).
 * Time to detect = detectedAt − fault start. Each kind is reported on its own, and the
 * realistic sizes together. The last line is one JSON object.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { anomalyEvaluationInterval } from "../server/anomaly/evaluation-interval";
import { median } from "../server/anomaly/evaluation";
import { analyzeSeries, SeriesMonitor } from "../server/anomaly/monitor";
import { EVENT_LOOP_LAG_KEY, detectorDefaultsFor, explainableByOwnEventLoopLag } from "../server/anomaly/watched-series";
import { explainWindows } from "../server/anomaly/explanations";
import { recordedSeriesFetcher } from "../server/anomaly/recorded-series";
import { freePort } from "../test/support/app-process";
import { candidateQueries, type Fault, type FiredAlert, queryKey, type RawSeries, type Recording, readRecording, type ScoredWindow, seriesToReplay, writeRecording } from "./support/demo-recording";

/** How long after a fault's end a window may still open and count (shorter than any quiet gap). */
const GRACE_MS = 10_000;
/**
 * Live detection evaluates once per scrape interval (anomalyEvaluationInterval: 5 s at the
 * default scrape), so a point waits from 0 to one interval for its pass: a replay adds the
 * mean, half an interval, to each confirmation (on recordings made while it evaluated every
 * 10 s, live windows were confirmed a median 2 s and at most 9 s after the replay's points).
 * The live run is the verdict.
 */
const LIVE_EVALUATION_LAG_MS = anomalyEvaluationInterval(5_000) / 2;
/** The faults one bench run injects, in order (fault@controller). */
const BENCH_SCHEDULE = [
  "slow-3x@pods",
  "slow@configmaps",
  "errors-15@deployments",
  "slow-3x@configmaps",
  "burst-200@pods",
  "slow@pods",
  "errors-15@configmaps",
  "slow-3x@deployments",
  "burst@deployments",
  "slow@deployments",
];
const FAULTS_PER_CYCLE = BENCH_SCHEDULE.length;
/** The metrics whose raw samples a recording keeps (what built-in watched series read, and what might be). */
const RAW_METRICS = "^(workqueue_|controller_runtime_|loopscope_(active_resources|leak_suspects|leaked_resources|reconcile_reasons)|nodejs_eventloop_lag)";
/** The realistic-size kinds (reported together against the done-when targets). */
const REALISTIC = new Set(["slow-3x", "errors-15", "burst-200"]);

/**
 * What each fault kind is meant to move: series of the faulted controller, and the
 * process-wide series it names (the leaks). A slower reconcile keeps workers busy longer
 * and lets the queue wait; a burst adds objects that queue; errors fail and retry.
 */
const SERIES_MOVED_BY: Record<string, { controller: readonly string[]; processWide?: readonly string[] }> = {
  burst: { controller: ["adds_rate", "queue_depth", "queue_latency_p99", "active_workers"] },
  "burst-200": { controller: ["adds_rate", "queue_depth", "queue_latency_p99", "active_workers"] },
  slow: { controller: ["work_duration_p99", "reconcile_time_p50", "slow_reconciles", "active_workers", "unfinished_work", "queue_depth", "queue_latency_p99"] },
  "slow-3x": { controller: ["work_duration_p99", "reconcile_time_p50", "slow_reconciles", "active_workers", "unfinished_work", "queue_depth", "queue_latency_p99"] },
  errors: { controller: ["error_ratio", "adds_rate"] },
  "errors-15": { controller: ["error_ratio", "adds_rate"] },
  "hot-key": { controller: ["adds_rate", "work_duration_p99", "reconcile_time_p50", "slow_reconciles", "queue_depth", "queue_latency_p99"] },
  stuck: { controller: ["unfinished_work", "active_workers"] },
  "leak-timer": { controller: [], processWide: ["active_resources", 'active_resources{type="Timeout"}', "leak_suspects"] },
  "leak-socket": { controller: [], processWide: ["active_resources", 'active_resources{type="TCPSocketWrap"}', "leak_suspects"] },
  "leak-promise": { controller: [], processWide: ["leak_suspects"] },
};

/** The series on which a window may detect a fault (see SERIES_MOVED_BY); any other is a false positive. */
function relevantSeries(fault: Fault): string[] {
  const moved = SERIES_MOVED_BY[fault.fault] ?? { controller: [] };
  return [...moved.controller.map((what) => `${what}{controller=${JSON.stringify(fault.controller)}}`), ...(moved.processWide ?? [])];
}

interface GroupScore {
  faults: number;
  recall: number;
  precision: number;
  medianTtdS: number | null;
}

interface Score {
  groups: Record<string, GroupScore>;
  recall: number;
  precision: number;
  /** Precision counting any window that overlaps a fault (on any series) as a match. */
  precisionAnySeries: number;
  medianTtdS: number | null;
  perFault: Array<{ fault: Fault; ttdS: number | null; by: string | null; windows: number }>;
  falsePositives: ScoredWindow[];
  /** Windows shown as explained by another window (not scored on their own). */
  explained: ScoredWindow[];
}

function score(faults: readonly Fault[], reported: readonly ScoredWindow[]): Score {
  // A window the product shows as explained by another (one root cause, e.g. the process's
  // event-loop lag) is part of that window's incident: it neither detects a fault nor
  // counts as a false positive of its own; its cause's window is scored as any other.
  const windows = reported.filter((w) => !w.explainedBy);
  const explained = reported.filter((w) => w.explainedBy);
  const relevant = new Map(faults.map((f) => [f, relevantSeries(f)]));
  const perFault = faults.map((fault) => {
    const series = relevant.get(fault)!;
    const hits = windows
      .filter((w) => series.includes(w.seriesKey) && w.detectedAt >= fault.start && w.detectedAt <= fault.end + GRACE_MS)
      .sort((a, b) => a.detectedAt - b.detectedAt);
    return { fault, ttdS: hits.length === 0 ? null : (hits[0].detectedAt - fault.start) / 1000, by: hits[0]?.seriesKey ?? null, windows: hits.length };
  });
  // A window belongs to a fault when the detector reported it while the fault acted (or
  // within the grace after): one that opened before, in a quiet period, stays a false
  // positive however long it lasts into a fault.
  const overlaps = (w: ScoredWindow, f: Fault) => w.detectedAt >= f.start && w.detectedAt <= f.end + GRACE_MS;
  const falsePositives = windows.filter((w) => !faults.some((f) => relevant.get(f)!.includes(w.seriesKey) && overlaps(w, f)));
  const anyOverlap = windows.filter((w) => faults.some((f) => overlaps(w, f))).length;
  const ttd = perFault.flatMap((o) => (o.ttdS === null ? [] : [o.ttdS]));
  // Per kind and for the realistic sizes: recall and time to detect over the group's faults;
  // precision over the windows during the group's faults plus every quiet-period window.
  const quietWindows = windows.filter((w) => !faults.some((f) => overlaps(w, f))).length;
  const group = (member: (f: Fault) => boolean): GroupScore => {
    const own = perFault.filter((o) => member(o.fault));
    const during = windows.filter((w) => faults.some((f) => member(f) && overlaps(w, f)));
    const relevantDuring = during.filter((w) => faults.some((f) => member(f) && overlaps(w, f) && relevant.get(f)!.includes(w.seriesKey))).length;
    const times = own.flatMap((o) => (o.ttdS === null ? [] : [o.ttdS]));
    const all = during.length + quietWindows;
    return { faults: own.length, recall: own.length ? times.length / own.length : 1, precision: all ? relevantDuring / all : 1, medianTtdS: median(times) };
  };
  const groups: Record<string, GroupScore> = { realistic: group((f) => REALISTIC.has(f.fault)), loud: group((f) => !REALISTIC.has(f.fault)) };
  for (const kind of new Set(faults.map((f) => f.fault))) groups[kind] = group((f) => f.fault === kind);
  return {
    groups,
    recall: faults.length === 0 ? 1 : ttd.length / faults.length,
    precision: windows.length === 0 ? 1 : (windows.length - falsePositives.length) / windows.length,
    precisionAnySeries: windows.length === 0 ? 1 : anyOverlap / windows.length,
    medianTtdS: median(ttd),
    perFault,
    falsePositives,
    explained,
  };
}


/** Replays the series to score through the live monitor (the backtest code path). */
function replay(series: Recording["series"]): { windows: ScoredWindow[]; points: number } {
  let windows: ScoredWindow[] = [];
  let points = 0;
  for (const s of series) {
    const defaults = detectorDefaultsFor(s.query);
    const sensitivity = s.sensitivity === "low" || s.sensitivity === "high" ? s.sensitivity : "medium";
    const analysis = analyzeSeries(s.points, { direction: defaults.direction, sensitivity }, { seriesKey: s.key, params: defaults.params });
    points += s.points.length;
    for (const w of analysis.windows) {
      windows.push({ seriesKey: w.seriesKey, start: w.start, end: w.end, detectedAt: w.detectedAt + LIVE_EVALUATION_LAG_MS, peakScore: w.peakScore, direction: w.direction });
    }
  }
  // What the live service marks after each pass (AnomalyService.explainWindows), on the same rule.
  const explainable = new Set(series.filter((s) => explainableByOwnEventLoopLag(s.query)).map((s) => s.key));
  windows = explainWindows(
    windows.map((w) => ({ ...w, direction: w.direction === "below" ? ("below" as const) : ("above" as const) })),
    EVENT_LOOP_LAG_KEY,
    (key) => explainable.has(key),
  );
  return { windows, points };
}

/** Points per second through 1,000 monitors fed round-robin with the recorded series. */
function throughput(recording: Recording): number {
  const inputs = recording.series.filter((s) => s.watched !== false && s.points.length > 0).map((s) => s.points);
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
  process.env.LOOPSCOPE_DEMO_SCHEDULE ??= BENCH_SCHEDULE.join(",");
  process.env.LOOPSCOPE_DATA_DIR = dataDir;
  process.env.LOOPSCOPE_PG_PORT = String(await freePort());
  process.env.LOOPSCOPE_LOG_LEVEL ??= "warn";
  const { loadConfig } = await import("../server/config");
  const { log } = await import("../server/log");
  const { ServiceSet } = await import("../server/lifecycle/service-set");
  const { metricsRegistry } = await import("../server/metrics/registry");
  const { createServices } = await import("../server/composition");
  const { startAuth } = await import("../server/auth");
  const { wireServices } = await import("../server/services");
  const { openDatabase } = await import("../server/store/database");
  const { migrate } = await import("../server/store/migrate");
  const { disconnectAll } = await import("../server/store/prisma");

  const config = loadConfig();
  const quiet = log.child({ component: "bench" });
  const database = await openDatabase(config, quiet);
  const services = new ServiceSet(quiet);
  try {
    await migrate(database.url);
    const registry = createServices({
      system: { startedAt: Date.now(), databaseKind: "embedded", databaseUrl: database.url, databaseState: "ready" },
      auth: startAuth(config),
    });
    metricsRegistry();
    await services.start(await wireServices({ config, databaseUrl: database.url, log: quiet }, registry));
    const runtime = registry.runtime.get();
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
    const anomaly = registry.anomaly.get();
    await anomaly.evaluate();
    const until = Date.now();
    const faults = pastFaults(report()).filter((f) => f.id < FAULTS_PER_CYCLE);
    const from = started - 1_000;
    const windows = await anomaly.windows({ from, to: until, limit: 10_000 });
    const fetch = recordedSeriesFetcher((q) => registry.query.get().range(q), config.LOOPSCOPE_SCRAPE_INTERVAL);
    const series: Recording["series"] = [];
    for (const w of await anomaly.watched()) {
      if (!w.enabled) continue;
      series.push({ key: w.key, query: w.query, sensitivity: w.sensitivity, points: await fetch(w.query, from, until), watched: true });
    }
    const recorded = new Set(series.map((s) => queryKey(s.query)));
    for (const controller of [...new Set(series.flatMap((s) => /^queue_depth\{controller="(.+)"\}$/.exec(s.key)?.[1] ?? []))]) {
      for (const c of candidateQueries(controller)) {
        if (recorded.has(queryKey(c.query))) continue;
        recorded.add(queryKey(c.query));
        series.push({ key: c.key, query: c.query, sensitivity: "medium", points: await fetch(c.query, from, until), watched: false });
      }
    }
    const { prismaClient } = await import("../server/store/prisma");
    const db = prismaClient(database.url);
    const rawRows = await db.$queryRaw<Array<{ id: number; metric: string; labels: Record<string, string>; type: string }>>`
      SELECT id, metric, labels, type FROM series WHERE source = 'self' AND metric ~ ${RAW_METRICS}`;
    const raw: RawSeries[] = [];
    for (const r of rawRows) {
      const samples = await db.$queryRaw<Array<{ ts: Date; value: number }>>`
        SELECT ts, value FROM samples WHERE series_id = ${r.id} AND ts >= ${new Date(from - 3_600_000)} AND ts <= ${new Date(until)} ORDER BY ts`;
      raw.push({ metric: r.metric, labels: r.labels, type: r.type, samples: samples.map((x) => [x.ts.getTime(), x.value]) });
    }
    const fired = await prismaClient(database.url).$queryRaw<Array<{ rule: string; controller: string | null; at: Date }>>`
      SELECT r.name AS rule, e.labels->>'controller' AS controller, e.at FROM alert_events e JOIN alert_rules r ON r.id = e.rule_id WHERE e.state = 'firing' ORDER BY e.at`;
    const alerts = fired.map((a) => ({ rule: a.rule, at: a.at.getTime(), ...(a.controller ? { controller: a.controller } : {}) }));
    return { faults, windows, series, until, raw, stepMs: config.LOOPSCOPE_SCRAPE_INTERVAL, alerts };
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
  for (const w of s.explained) {
    console.log(`explained by ${w.explainedBy}: ${w.seriesKey} ${Math.round((w.start - t0) / 1000)} s … ${w.end === null ? "open" : `${Math.round((w.end - t0) / 1000)} s`} peak ${w.peakScore.toFixed(2)}`);
  }
  console.log(`recall ${fmt(s.recall)}, precision ${fmt(s.precision)} (${windows} windows; any-series precision ${fmt(s.precisionAnySeries)}), median time to detect ${fmt(s.medianTtdS, 1)} s`);
  console.log(`${"group".padEnd(12)} faults  recall  precision  median ttd`);
  for (const [name, g] of Object.entries(s.groups)) {
    console.log(`${name.padEnd(12)} ${String(g.faults).padStart(6)}  ${fmt(g.recall).padStart(6)}  ${fmt(g.precision).padStart(9)}  ${g.medianTtdS === null ? "–" : `${g.medianTtdS.toFixed(1)} s`}`);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { record: { type: "string" }, replay: { type: "string" }, url: { type: "string" } } });
  let recording: Recording;
  let source: string;
  if (values.replay) {
    // Recordings made before the run stopped ahead of the next cycle ran on into it: score as if it had.
    recording = readRecording(values.replay, (faults) => Math.max(...faults.map((f) => f.end)) + GRACE_MS + 30_000);
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
    // The controller is the alert's label (built-in rules are one per condition); older recordings name it in the rule.
    const controllerOf = (a: FiredAlert) => a.controller ?? a.rule.split("/").pop();
    const during = (a: FiredAlert) => faults.find((f) => controllerOf(a) === f.controller && a.at >= f.start && a.at <= f.end + 5 * 60_000);
    console.log(`alerts fired: ${recording.alerts.length}`);
    for (const a of recording.alerts) {
      const f = during(a);
      console.log(`  ${`${a.rule}${a.controller ? `{controller=${JSON.stringify(a.controller)}}` : ""}`.padEnd(44)} at ${Math.round((a.at - t0) / 1000)} s ${f ? `(within 5 min of ${f.fault}@${f.controller})` : "(no fault of its controller in the 5 min before)"}`);
    }
  }

  let live: Score | null = null;
  if (recording.windows.length > 0 || source !== "demo-replay") {
    live = score(faults, recording.windows);
    print(source === "demo-replay" ? "live windows stored with the recording" : "live windows", live, faults, recording.windows.length);
  }
  let replayed: Score | null = null;
  let pointsPerS = 0;
  let replayWindows = 0;
  if (recording.series.length > 0) {
    const t0 = performance.now();
    const series = await seriesToReplay(recording);
    const { windows, points } = replay(series);
    replayWindows = windows.length;
    const seconds = (performance.now() - t0) / 1000;
    replayed = score(faults, windows);
    print(`replay of ${series.length} series${recording.raw ? " (queried from the raw samples)" : ""} (${points} points in ${seconds.toFixed(2)} s) through the current detector`, replayed, faults, windows.length);
    pointsPerS = throughput(recording);
    console.log(`throughput: ${Math.round(pointsPerS).toLocaleString("en")} points/s (1,000 series fed round-robin)`);
  }
  const main = source === "demo-replay" ? replayed! : (live ?? replayed!);
  const windows = source === "demo-replay" ? replayWindows : recording.windows.length;
  const round = (x: number) => Math.round(x * 1000) / 1000;
  const roundGroup = (g: GroupScore | undefined) =>
    g && { faults: g.faults, recall: round(g.recall), precision: round(g.precision), median_time_to_detect_s: g.medianTtdS === null ? null : round(g.medianTtdS) };
  console.log(
    JSON.stringify({
      recall: round(main.recall),
      precision: round(main.precision),
      median_time_to_detect_s: main.medianTtdS,
      points_per_s: Math.round(pointsPerS),
      faults: faults.length,
      windows,
      false_positives: main.falsePositives.length,
      explained_windows: main.explained.length,
      time_to_detect_s: Object.fromEntries(main.perFault.map((o) => [`${o.fault.fault}@${o.fault.controller}`, o.ttdS])),
      realistic: roundGroup(main.groups.realistic),
      loud: roundGroup(main.groups.loud),
      by_kind: Object.fromEntries(Object.entries(main.groups).filter(([k]) => k !== "realistic" && k !== "loud").map(([k, g]) => [k, roundGroup(g)])),
      ...(replayed && live ? { replay: { recall: round(replayed.recall), precision: round(replayed.precision), median_time_to_detect_s: replayed.medianTtdS } } : {}),
      source,
    }),
  );
}

await main();
process.exit(0);
