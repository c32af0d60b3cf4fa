/**
 * The scrape half of `npm run bench:scale` (issue 18): many loopback targets scraped by
 * Loopscope's real scrape manager, recorder and PostgreSQL store (embedded, or DATABASE_URL's
 * server) — first by one replica, then split across two replicas in separate processes
 * sharing the database, with scrape sharding on (each replica's lease in Postgres). The
 * exporters run in a process of their own (bench/support/scale-exporters.ts) and each replica
 * in its own (bench/support/scale-replica.ts), so every process is measured alone.
 *
 * Measured over a window after a warm-up (every target scraped twice, so its series exist, and
 * the recorder's buffer drained; at most BENCH_SCALE_WARMUP_MAX, then measured anyway):
 * CPU (cores) and RSS per replica and per 1,000 series, samples/s stored, scrape lag (the
 * longest time a target waited beyond its interval) and missed scrapes, PostgreSQL's CPU, and
 * with two replicas that every target is scraped by exactly one.
 *
 *   BENCH_SCALE_TARGETS=2000 BENCH_SCALE_SERIES=500 BENCH_SCALE_INTERVAL=15s
 *   BENCH_SCALE_DURATION=2m BENCH_SCALE_WARMUP_MAX=2m BENCH_SCALE_REPLICAS=1,2
 *
 * `run()` returns the figures (bench/scale.ts composes them); run directly, the last line of
 * output is one JSON object.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { z } from "zod";
import { log } from "../server/log";
import { durationSchema } from "../shared/duration";
import { freePort } from "../test/support/app-process";
import { freshDatabase } from "./support/fresh-database";
import { descendantsCpuSeconds } from "./support/process-cpu";
import type { ExporterMessage, TargetScrapes } from "./support/scale-exporters";
import type { ReplicaMessage, ReplicaReport } from "./support/scale-replica";
import { printWhenMain } from "./support/main-module";
import { quantile } from "./support/stats";

const quiet = log.child({ component: "bench" }, { level: "warn" });
const MB = 1024 * 1024;

const settingsSchema = z.object({
  BENCH_SCALE_TARGETS: z.coerce.number().int().min(1).max(20_000).default(2_000),
  BENCH_SCALE_SERIES: z.coerce.number().int().min(1).max(100_000).default(500),
  BENCH_SCALE_INTERVAL: durationSchema({ min: 1_000 }).default(15_000),
  BENCH_SCALE_DURATION: durationSchema({ min: 5_000 }).default(120_000),
  BENCH_SCALE_WARMUP_MAX: durationSchema({ min: 1_000 }).default(120_000),
  BENCH_SCALE_REPLICAS: z
    .string()
    .default("1,2")
    .transform((text) => text.split(",").map((n) => Number(n.trim())))
    .pipe(z.array(z.union([z.literal(1), z.literal(2)])).min(1)),
});
export type ScaleScrapeSettings = z.infer<typeof settingsSchema>;

export interface ReplicaFigures {
  identity: string;
  targets: number;
  series: number;
  cpu_cores: number;
  /** CPU milliseconds per second (milli-cores) per 1,000 scraped series. */
  cpu_millicores_per_1k_series: number;
  rss_mb: number;
  rss_mb_per_1k_series: number;
  /** RSS above the process's right after start (modules loaded, nothing running), per 1,000 series. */
  rss_growth_mb_per_1k_series: number;
  samples_per_s: number;
  dropped_samples: number;
  /** Share of the window the recorder spent writing batches (1: its writer was the bottleneck). */
  writer_busy_ratio: number;
  /** Samples per second of writing (what the writer stores while it writes). */
  writer_samples_per_busy_s: number;
}

export interface PhaseFigures {
  replicas: ReplicaFigures[];
  samples_per_s: number;
  expected_samples_per_s: number;
  max_scrape_lag_ms: number;
  p99_scrape_lag_ms: number;
  missed_scrapes: number;
  expected_scrapes: number;
  missed_ratio: number;
  postgres_cpu_cores: number;
  warmup_s: number;
  warmup_settled: boolean;
  /** The machine's 1-minute load average at the window's end: on a shared machine the replicas compete for CPU. */
  load_average: number;
  cpu_count: number;
  /** Targets scraped more often in the window than one scraper can (two replicas scraping them). */
  targets_over_scraped: number;
  /** Targets not scraped at all in the window (counted in missed scrapes too). */
  targets_not_scraped: number;
  /** Every target scraped by exactly one replica: the replicas' shares are disjoint and cover every target, and no target was scraped more often than one scraper can. */
  every_target_once: boolean;
}

export interface ScaleScrapeFigures {
  scrape_targets: number;
  scrape_series_per_target: number;
  scrape_series: number;
  scrape_interval_s: number;
  scrape_duration_s: number;
  scrape_expected_samples_per_s: number;
  scrape_one_replica: PhaseFigures | null;
  scrape_two_replicas: PhaseFigures | null;
  /** Two replicas against one: each replica's CPU / the single replica's (ideal 0.5). */
  scrape_two_vs_one_cpu_per_replica_ratio: number | null;
  scrape_two_vs_one_rss_per_replica_ratio: number | null;
  scrape_two_vs_one_samples_per_s_ratio: number | null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A child process of this bench with IPC, its output kept for errors. */
class Child<M extends { kind: string }> {
  readonly process: ChildProcess;
  private output = "";
  private waiters: { kind: string; resolve: (m: M) => void }[] = [];
  readonly exited: Promise<number | null>;

  constructor(script: string, env: Record<string, string>) {
    this.process = spawn(process.execPath, ["--import", "tsx", script], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe", "ipc"] });
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-8_000);
    };
    this.process.stdout?.on("data", keep);
    this.process.stderr?.on("data", keep);
    this.process.on("message", (message: M) => {
      const index = this.waiters.findIndex((w) => w.kind === message.kind);
      if (index >= 0) this.waiters.splice(index, 1)[0].resolve(message);
    });
    this.exited = new Promise((resolve) => this.process.once("exit", (code) => resolve(code)));
  }

  /** The next message of a kind (after sending `request`, if given). */
  async next<K extends M["kind"]>(kind: K, timeoutMs: number, request?: object): Promise<Extract<M, { kind: K }>> {
    const got = new Promise<M>((resolve) => this.waiters.push({ kind, resolve }));
    if (request) this.process.send(request);
    let timer: NodeJS.Timeout | undefined;
    const failed = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no "${kind}" from ${this.process.spawnargs.at(-1)} within ${timeoutMs} ms:\n${this.output}`)), timeoutMs);
      void this.exited.then((code) => reject(new Error(`${this.process.spawnargs.at(-1)} exited (${code}):\n${this.output}`)));
    });
    try {
      return (await Promise.race([got, failed])) as Extract<M, { kind: K }>;
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    this.process.kill("SIGTERM");
    const done = await Promise.race([this.exited.then(() => true), sleep(30_000).then(() => false)]);
    if (!done) {
      this.process.kill("SIGKILL");
      await this.exited;
    }
  }
}

const round = (n: number, digits = 2) => Number(n.toFixed(digits));

export async function run(options: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {}): Promise<ScaleScrapeFigures> {
  const say = options.log ?? ((line: string) => console.log(line));
  const settings = settingsSchema.parse(options.env ?? process.env);
  const { BENCH_SCALE_TARGETS: targets, BENCH_SCALE_SERIES: series, BENCH_SCALE_INTERVAL: intervalMs, BENCH_SCALE_DURATION: durationMs } = settings;
  const expectedPerS = (targets * series) / (intervalMs / 1000);
  say(`scrape: ${targets.toLocaleString("en")} loopback targets × ${series} series every ${intervalMs / 1000} s = ${(targets * series).toLocaleString("en")} series, ≈ ${Math.round(expectedPerS).toLocaleString("en")} samples/s; ${durationMs / 1000} s measured per phase`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-scale-"));
  const db = await freshDatabase({ folder: "bench-scale", port: await freePort(), prefix: "loopscope_bench_scale", log: quiet });
  const exporters = new Child<ExporterMessage>(path.resolve("bench/support/scale-exporters.ts"), {
    BENCH_SCALE_TARGETS: String(targets),
    BENCH_SCALE_SERIES: String(series),
    BENCH_SCALE_INTERVAL_MS: String(intervalMs),
  });
  const replicas: Child<ReplicaMessage>[] = [];
  try {
    const { ports } = await exporters.next("ready", 60_000);
    const targetsFile = path.join(dir, "targets.json");
    fs.writeFileSync(targetsFile, JSON.stringify(ports.map((port, i) => ({ name: `scale-${i}`, url: `http://127.0.0.1:${port}/metrics`, interval: `${intervalMs}ms`, timeout: `${Math.min(10_000, intervalMs)}ms` }))));
    const secretKey = randomBytes(32).toString("hex");
    const startReplica = async (identity: string) => {
      const child = new Child<ReplicaMessage>(path.resolve("bench/support/scale-replica.ts"), {
        DATABASE_URL: db.url,
        LOOPSCOPE_SOURCE: "none",
        LOOPSCOPE_SCRAPE_SHARDING: "on",
        LOOPSCOPE_REPLICA_ID: identity,
        LOOPSCOPE_TARGETS_FILE: targetsFile,
        LOOPSCOPE_DATA_DIR: path.join(dir, identity),
        LOOPSCOPE_SECRET_KEY: secretKey,
        LOOPSCOPE_LOG_FORMAT: "json",
        LOOPSCOPE_LOG_LEVEL: "warn",
        HOST: "127.0.0.1",
        PORT: String(await freePort()),
      });
      replicas.push(child);
      const ready = await child.next("ready", 180_000);
      return { child, rssAtStartBytes: ready.rssAtStartBytes };
    };
    const allIds = await targetIds(db.url);
    const phase = async (count: 1 | 2): Promise<PhaseFigures> => {
      say(`\n— ${count === 1 ? "one replica" : "two replicas (scrape sharding)"} —`);
      const started: { child: Child<ReplicaMessage>; rssAtStartBytes: number }[] = [];
      // One at a time: each upserts the configured targets at start.
      for (let i = 1; i <= count; i += 1) started.push(await startReplica(`scale-replica-${i}`));
      // Generous: an overloaded replica's event loop may stall for tens of seconds (and lose its lease).
      const reports = () => Promise.all(started.map((r) => r.child.next("report", 180_000, { kind: "report" })));
      const ids = allIds.length > 0 ? allIds : await targetIds(db.url);
      // The shares settle: every replica sees every member and the shares cover every target.
      const settleBy = Date.now() + 60_000;
      for (;;) {
        const now = await reports();
        if (now.every((r) => r.member && r.members.length === count) && sharesCover(now, ids)) break;
        if (Date.now() > settleBy) throw new Error(`the scrape shares did not settle: ${now.map((r) => `${r.identity} ${r.members.join("+")} ${r.targets.length}`).join(", ")}`);
        await sleep(500);
      }
      // Warm-up: every target scraped twice since now (its series created), the buffers drained.
      const warmStart = Date.now();
      exporters.process.send({ kind: "mark" });
      let settled = false;
      while (Date.now() - warmStart < settings.BENCH_SCALE_WARMUP_MAX) {
        await sleep(2_000);
        const seen = await exporters.next("report", 30_000, { kind: "report" });
        const buffered = (await reports()).reduce((sum, r) => sum + r.bufferedSamples, 0);
        // Drained: less than a tenth of one round of scrapes waits to be written.
        if (seen.targets.every((t) => t.count >= 2) && buffered < (targets * series) / 10) {
          settled = true;
          break;
        }
      }
      const warmupS = (Date.now() - warmStart) / 1000;
      say(`warm-up ${warmupS.toFixed(0)} s${settled ? "" : " (did not settle: measuring anyway)"}`);
      const excluded = [exporters.process.pid, ...started.map((r) => r.child.process.pid)].filter((p): p is number => p !== undefined);
      const before = await reports();
      const pgBefore = descendantsCpuSeconds(process.pid, excluded);
      const t0 = performance.now();
      exporters.process.send({ kind: "mark" });
      await sleep(durationMs);
      const scrapes = (await exporters.next("report", 30_000, { kind: "report" })).targets;
      const after = await reports();
      const elapsedS = (performance.now() - t0) / 1000;
      const pgCpu = (descendantsCpuSeconds(process.pid, excluded) - pgBefore) / elapsedS;
      const perReplica = after.map((end, i) => replicaFigures(before[i], end, started[i].rssAtStartBytes, series, elapsedS));
      const figures = phaseFigures(perReplica, scrapes, { ids, after, intervalMs, durationMs, expectedPerS, pgCpu, warmupS, settled });
      printPhase(say, figures);
      await Promise.all(started.map((r) => r.child.stop()));
      return figures;
    };
    const one = settings.BENCH_SCALE_REPLICAS.includes(1) ? await phase(1) : null;
    const two = settings.BENCH_SCALE_REPLICAS.includes(2) ? await phase(2) : null;
    const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b ? round(a / b, 3) : null);
    const maxOf = (p: PhaseFigures | null, key: "cpu_cores" | "rss_mb") => (p ? Math.max(...p.replicas.map((r) => r[key])) : undefined);
    const figures: ScaleScrapeFigures = {
      scrape_targets: targets,
      scrape_series_per_target: series,
      scrape_series: targets * series,
      scrape_interval_s: intervalMs / 1000,
      scrape_duration_s: durationMs / 1000,
      scrape_expected_samples_per_s: Math.round(expectedPerS),
      scrape_one_replica: one,
      scrape_two_replicas: two,
      scrape_two_vs_one_cpu_per_replica_ratio: ratio(maxOf(two, "cpu_cores"), maxOf(one, "cpu_cores")),
      scrape_two_vs_one_rss_per_replica_ratio: ratio(maxOf(two, "rss_mb"), maxOf(one, "rss_mb")),
      scrape_two_vs_one_samples_per_s_ratio: ratio(two?.samples_per_s, one?.samples_per_s),
    };
    if (one && two) {
      say("\n— one replica vs two (ideal: half per replica, the same total) —");
      say(`busiest replica's CPU   ${one.replicas[0].cpu_cores.toFixed(2)} → ${maxOf(two, "cpu_cores")?.toFixed(2)} cores (ratio ${figures.scrape_two_vs_one_cpu_per_replica_ratio}, ideal 0.5)`);
      say(`largest replica's RSS   ${one.replicas[0].rss_mb.toFixed(0)} → ${maxOf(two, "rss_mb")?.toFixed(0)} MB (ratio ${figures.scrape_two_vs_one_rss_per_replica_ratio}, ideal 0.5 above the idle process)`);
      say(`samples/s stored        ${Math.round(one.samples_per_s).toLocaleString("en")} → ${Math.round(two.samples_per_s).toLocaleString("en")} (ratio ${figures.scrape_two_vs_one_samples_per_s_ratio}, ideal 1)`);
    }
    return figures;
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
    await exporters.stop();
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function targetIds(url: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ id: number }>("SELECT id FROM scrape_targets ORDER BY id")).rows.map((r) => r.id);
  } finally {
    await client.end();
  }
}

/** The replicas' shares are disjoint and together are every target. */
function sharesCover(reports: readonly ReplicaReport[], ids: readonly number[]): boolean {
  const seen = new Set<number>();
  for (const report of reports) {
    for (const id of report.targets) {
      if (seen.has(id)) return false;
      seen.add(id);
    }
  }
  return ids.length > 0 && seen.size === ids.length && ids.every((id) => seen.has(id));
}

function replicaFigures(before: ReplicaReport, after: ReplicaReport, rssAtStartBytes: number, seriesPerTarget: number, elapsedS: number): ReplicaFigures {
  const cpu = (after.cpuUserUs + after.cpuSystemUs - before.cpuUserUs - before.cpuSystemUs) / 1e6 / elapsedS;
  const series = after.targets.length * seriesPerTarget;
  const thousands = Math.max(series, 1) / 1000;
  return {
    identity: after.identity,
    targets: after.targets.length,
    series,
    cpu_cores: round(cpu, 3),
    cpu_millicores_per_1k_series: round((cpu * 1000) / thousands, 2),
    rss_mb: round(after.rssBytes / MB, 1),
    rss_mb_per_1k_series: round(after.rssBytes / MB / thousands, 3),
    rss_growth_mb_per_1k_series: round((after.rssBytes - rssAtStartBytes) / MB / thousands, 3),
    samples_per_s: round((after.writtenSamples - before.writtenSamples) / elapsedS, 0),
    dropped_samples: after.droppedSamples - before.droppedSamples,
    writer_busy_ratio: round((after.flushSeconds - before.flushSeconds) / elapsedS, 3),
    writer_samples_per_busy_s: round((after.writtenSamples - before.writtenSamples) / Math.max(1e-9, after.flushSeconds - before.flushSeconds), 0),
  };
}

function phaseFigures(
  replicas: ReplicaFigures[],
  scrapes: readonly TargetScrapes[],
  context: { ids: readonly number[]; after: readonly ReplicaReport[]; intervalMs: number; durationMs: number; expectedPerS: number; pgCpu: number; warmupS: number; settled: boolean },
): PhaseFigures {
  const lags = scrapes.map((t) => Math.max(0, t.maxGapMs - context.intervalMs));
  const missed = scrapes.reduce((sum, t) => sum + t.missed, 0);
  const expectedScrapes = Math.floor(context.durationMs / context.intervalMs) * scrapes.length;
  // One scraper makes at most ceil(window / interval) + 1 scrapes of a target in the window; two make about twice that.
  const mostByOne = Math.ceil(context.durationMs / context.intervalMs) + 1;
  const overScraped = scrapes.filter((t) => t.count > mostByOne).length;
  return {
    replicas,
    samples_per_s: replicas.reduce((sum, r) => sum + r.samples_per_s, 0),
    expected_samples_per_s: Math.round(context.expectedPerS),
    max_scrape_lag_ms: Math.round(Math.max(0, ...lags)),
    p99_scrape_lag_ms: Math.round(quantile(lags, 0.99)),
    missed_scrapes: missed,
    expected_scrapes: expectedScrapes,
    missed_ratio: round(missed / Math.max(1, expectedScrapes), 4),
    postgres_cpu_cores: round(context.pgCpu, 3),
    warmup_s: Math.round(context.warmupS),
    warmup_settled: context.settled,
    load_average: round(os.loadavg()[0], 2),
    cpu_count: os.availableParallelism(),
    targets_over_scraped: overScraped,
    targets_not_scraped: scrapes.filter((t) => t.count === 0).length,
    every_target_once: sharesCover(context.after, context.ids) && overScraped === 0,
  };
}

function printPhase(say: (line: string) => void, p: PhaseFigures): void {
  for (const r of p.replicas) {
    say(
      `${r.identity}: ${r.targets} targets (${r.series.toLocaleString("en")} series)  CPU ${r.cpu_cores.toFixed(2)} cores = ${r.cpu_millicores_per_1k_series} millicores/1k series  RSS ${r.rss_mb.toFixed(0)} MB = ${r.rss_mb_per_1k_series.toFixed(2)} MB/1k series (${r.rss_growth_mb_per_1k_series.toFixed(2)} above idle)  ${Math.round(r.samples_per_s).toLocaleString("en")} samples/s stored, ${r.dropped_samples} dropped; writer busy ${(r.writer_busy_ratio * 100).toFixed(0)} % (${Math.round(r.writer_samples_per_busy_s).toLocaleString("en")} samples per busy s)`,
    );
  }
  say(`stored ${Math.round(p.samples_per_s).toLocaleString("en")} samples/s of ${p.expected_samples_per_s.toLocaleString("en")} scraped (ratio ${(p.samples_per_s / p.expected_samples_per_s).toFixed(2)}; stored includes up and scrape_* series)`);
  say(`scrape lag beyond the interval: p99 ${p.p99_scrape_lag_ms} ms, max ${p.max_scrape_lag_ms} ms; missed scrapes ${p.missed_scrapes} of ${p.expected_scrapes} (${(p.missed_ratio * 100).toFixed(2)} %)`);
  say(`machine: ${p.cpu_count} cores, load average ${p.load_average}; PostgreSQL: ${p.postgres_cpu_cores.toFixed(2)} cores; every target scraped by exactly one replica: ${p.every_target_once ? "yes" : "NO"} (${p.targets_over_scraped} over-scraped, ${p.targets_not_scraped} not scraped in the window)`);
}

printWhenMain(import.meta.url, () => run());
