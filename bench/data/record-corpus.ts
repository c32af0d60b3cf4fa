/**
 * Records the real development corpus of `bench:detect` (see README "Anomaly detection").
 *
 *   node --import tsx bench/data/record-corpus.ts [--minutes 90] [--out bench/data/corpus]
 *
 * Runs real programs on loopback ports — Debian's prometheus-node-exporter, Debian's
 * prometheus (a Go process; its own /metrics), a PostgreSQL 15 cluster of its own with a
 * small steady workload, and a Node process running Loopscope's demo controllers
 * (bench/data/corpus-target.ts) — and samples them every 1 s, 10 s and 60 s, while a
 * seeded fault schedule injects faults by real means: stress-ng CPU, memory and disk
 * pressure (nice 19, one worker), SIGKILLed and restarted processes, slow queries and
 * lock waits in PostgreSQL, leaked timers and a blocked event loop in the Node process.
 * Every fault is labelled with its real start and end and the series it is meant to move.
 * Writes `<out>-<interval>.csv.gz` (wide: timestamp + one column per series, empty =
 * not scraped) and `<out>-labels.json`. SIGINT/SIGTERM ends the recording cleanly.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import pg from "pg";
import { parseExposition } from "../../server/scrape/exposition-parser";
import type { Sample } from "../../server/scrape/metric-family";
import { SeededRandom } from "../../server/demo/random";
import { freePort } from "../../test/support/app-process";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ""), process.argv[i + 1]);
const minutes = Number(args.get("minutes") ?? 90);
const outBase = args.get("out") ?? path.join("bench", "data", "corpus");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-corpus-"));
const INTERVALS = [1, 10, 60] as const;
const started = Date.now();
const log = (m: string) => console.log(`${new Date().toISOString()} ${m}`);

// ---------------------------------------------------------------- programs
const children = new Map<string, ChildProcess>();
function run(name: string, cmd: string, argv: string[], env: Record<string, string> = {}, cwd = work): ChildProcess {
  const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env }, cwd });
  child.stdout?.resume();
  child.stderr?.resume();
  children.set(name, child);
  return child;
}
const ports = { node: await freePort(), prom: await freePort(), target: await freePort(), pg: await freePort() };
const startNodeExporter = () =>
  run("node-exporter", "prometheus-node-exporter", [`--web.listen-address=127.0.0.1:${ports.node}`, "--collector.disable-defaults", "--collector.cpu", "--collector.meminfo", "--collector.loadavg", "--collector.diskstats", "--collector.stat", "--collector.vmstat"]);
fs.writeFileSync(path.join(work, "prometheus.yml"), `global: {scrape_interval: 15s}\nscrape_configs:\n  - job_name: node\n    static_configs: [{targets: ["127.0.0.1:${ports.node}"]}]\n`);
const startPrometheus = () =>
  run("prometheus", "prometheus", [`--config.file=${path.join(work, "prometheus.yml")}`, `--web.listen-address=127.0.0.1:${ports.prom}`, `--storage.tsdb.path=${path.join(work, "tsdb")}`]);
const startTarget = () => run("target", process.execPath, ["--import", "tsx", path.resolve("bench/data/corpus-target.ts")], { PORT: String(ports.target) }, process.cwd());

// PostgreSQL 15 of its own (the postgres user owns the data directory when we are root).
const pgBin = "/usr/lib/postgresql/15/bin";
const pgData = path.join(work, "pgdata");
const asPostgres = process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--"] : [];
fs.mkdirSync(pgData);
if (asPostgres.length) spawnSync("chown", ["-R", "postgres", work]);
spawnSync(asPostgres[0] ?? `${pgBin}/initdb`, [...asPostgres.slice(1), ...(asPostgres.length ? [`${pgBin}/initdb`] : []), "-D", pgData, "-U", "postgres", "--auth=trust"], { stdio: "ignore" });
const pgCmd = asPostgres.length ? asPostgres[0] : `${pgBin}/postgres`;
const pgArgs = [...asPostgres.slice(1), ...(asPostgres.length ? [`${pgBin}/postgres`] : []), "-D", pgData, "-p", String(ports.pg), "-k", work, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"];
run("postgres", pgCmd, pgArgs);

startNodeExporter();
startPrometheus();
startTarget();

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} never answered`);
}
const pgConfig = { host: "127.0.0.1", port: ports.pg, user: "postgres", database: "postgres" };
async function pgClient(): Promise<pg.Client> {
  for (let i = 0; ; i++) {
    const c = new pg.Client(pgConfig);
    try {
      await c.connect();
      c.on("error", () => {});
      return c;
    } catch (e) {
      if (i > 100) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
await Promise.all([waitFor(`http://127.0.0.1:${ports.node}/metrics`), waitFor(`http://127.0.0.1:${ports.prom}/metrics`), waitFor(`http://127.0.0.1:${ports.target}/metrics`)]);
const stats = await pgClient();
await stats.query("create table if not exists counters (id int primary key, n bigint not null default 0)");
await stats.query("insert into counters select g, 0 from generate_series(1, 10) g on conflict do nothing");
log(`programs up; work dir ${work}`);

// A steady workload: ~20 short transactions a second; its latency is a recorded series.
const workload = await pgClient();
const inflight = new Set<number>();
const finished: number[] = [];
let stopping = false;
(async () => {
  while (!stopping) {
    const t0 = Date.now();
    inflight.add(t0);
    try {
      await workload.query("update counters set n = n + 1 where id = $1", [1 + Math.floor(Math.random() * 10)]);
      await workload.query("select sum(n) from counters");
    } catch {}
    inflight.delete(t0);
    finished.push((Date.now() - t0) / 1000);
    await new Promise((r) => setTimeout(r, 50));
  }
})();

// ---------------------------------------------------------------- sampling
type Raw = Map<string, number>;
const sumOf = (samples: Sample[], name: string, match: (l: Sample["labels"]) => boolean = () => true): number | undefined => {
  let total: number | undefined;
  for (const s of samples) if (s.name === name && match(s.labels)) total = (total ?? 0) + s.value;
  return total;
};
async function scrape(port: number): Promise<Sample[] | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(800) });
    if (!res.ok) return undefined;
    return parseExposition(await res.text()).families.flatMap((f) => f.samples as Sample[]);
  } catch {
    return undefined;
  }
}
const put = (raw: Raw, key: string, v: number | undefined) => {
  if (v !== undefined && Number.isFinite(v)) raw.set(key, v);
};
async function sampleRaw(): Promise<Raw> {
  const raw: Raw = new Map();
  const [node, prom, target] = await Promise.all([scrape(ports.node), scrape(ports.prom), scrape(ports.target)]);
  const notVirtual = (l: Sample["labels"]) => !/^(loop|ram)/.test(l.device ?? "");
  const take = (samples: Sample[] | undefined, picks: ReadonlyArray<readonly [string, string, ((l: Sample["labels"]) => boolean)?]>) => {
    if (samples) for (const [key, metric, match] of picks) put(raw, key, sumOf(samples, metric, match));
  };
  take(node, [
    ["cpu_idle", "node_cpu_seconds_total", (l) => l.mode === "idle"],
    ["cpu_all", "node_cpu_seconds_total"],
    ["node_load1", "node_load1"],
    ["node_memory_available_bytes", "node_memory_MemAvailable_bytes"],
    ["disk_written", "node_disk_written_bytes_total", notVirtual],
    ["disk_io_time", "node_disk_io_time_seconds_total", notVirtual],
    ["ctxt", "node_context_switches_total"],
    ["node_procs_running", "node_procs_running"],
    ["forks", "node_forks_total"],
    ["pgfault", "node_vmstat_pgfault"],
  ]);
  take(prom, [
    ["prom_goroutines", "go_goroutines"],
    ["prom_heap_alloc_bytes", "go_memstats_heap_alloc_bytes"],
    ["prom_resident_memory_bytes", "process_resident_memory_bytes"],
    ["prom_cpu_seconds_total", "process_cpu_seconds_total"],
    ["prom_gc_count", "go_gc_duration_seconds_count"],
  ]);
  take(target, [
    ["node_eventloop_lag_p99_seconds", "nodejs_eventloop_lag_p99_seconds"],
    ["node_active_handles", "nodejs_active_handles_total"],
    ["node_heap_used_bytes", "nodejs_heap_size_used_bytes"],
    ["node_cpu_seconds_total", "process_cpu_seconds_total"],
    ["loopscope_workqueue_depth", "workqueue_depth"],
    ["loopscope_reconcile_total", "controller_runtime_reconcile_total"],
    ["reconcile_errors", "controller_runtime_reconcile_total", (l) => l.result === "error"],
    ["reconcile_time_sum", "controller_runtime_reconcile_time_seconds_sum"],
    ["reconcile_time_count", "controller_runtime_reconcile_time_seconds_count"],
  ]);
  try {
    const t0 = process.hrtime.bigint();
    const { rows } = await stats.query(
      `select (select count(*) from pg_stat_activity where state = 'active' and pid <> pg_backend_pid())::float8 as active,
              (select count(*) from pg_stat_activity where wait_event_type = 'Lock')::float8 as lock_waiting,
              (select coalesce(max(extract(epoch from now() - query_start)), 0) from pg_stat_activity where state = 'active' and pid <> pg_backend_pid())::float8 as longest,
              xact_commit::float8, tup_returned::float8, blks_hit::float8, blks_read::float8
         from pg_stat_database where datname = 'postgres'`,
    );
    put(raw, "pg_stats_query_seconds", Number(process.hrtime.bigint() - t0) / 1e9);
    const r = rows[0];
    put(raw, "pg_active_backends", r.active);
    put(raw, "pg_lock_waiting", r.lock_waiting);
    put(raw, "pg_longest_query_seconds", r.longest);
    put(raw, "xact_commit", r.xact_commit);
    put(raw, "tup_returned", r.tup_returned);
    put(raw, "blks_hit", r.blks_hit);
    put(raw, "blks_read", r.blks_read);
  } catch {}
  return raw;
}

/** Turns two raw snapshots into the recorded series (rates over the interval, ratios, gauges). */
const SERIES = [
  "node_cpu_busy_ratio", "node_load1", "node_memory_available_bytes", "node_disk_written_bytes_per_second", "node_disk_io_time_ratio",
  "node_context_switches_per_second", "node_procs_running", "node_forks_per_second", "node_page_faults_per_second",
  "prom_goroutines", "prom_heap_alloc_bytes", "prom_resident_memory_bytes", "prom_cpu_seconds_total", "prom_cpu_ratio", "prom_gc_per_second",
  "node_eventloop_lag_p99_seconds", "node_active_handles", "node_heap_used_bytes", "node_cpu_ratio",
  "loopscope_workqueue_depth", "loopscope_reconcile_total", "loopscope_reconciles_per_second", "loopscope_reconcile_error_ratio", "loopscope_reconcile_mean_seconds",
  "pg_active_backends", "pg_lock_waiting", "pg_longest_query_seconds", "pg_commits_per_second", "pg_tuples_returned_per_second", "pg_cache_hit_ratio",
  "pg_workload_latency_seconds", "pg_stats_query_seconds",
] as const;
function derive(prev: Raw | undefined, cur: Raw, dt: number, workloadLatency: number | undefined): Map<string, number> {
  const out = new Map<string, number>();
  const d = (k: string) => {
    const a = prev?.get(k);
    const b = cur.get(k);
    return a === undefined || b === undefined || b < a ? undefined : b - a;
  };
  const set = (k: string, v: number | undefined) => {
    if (v !== undefined && Number.isFinite(v)) out.set(k, v);
  };
  const ratio = (num: number | undefined, den: number | undefined) => (num === undefined || den === undefined || den <= 0 ? undefined : num / den);
  const rate = (k: string) => ratio(d(k), dt);
  for (const k of ["node_load1", "node_memory_available_bytes", "node_procs_running", "prom_goroutines", "prom_heap_alloc_bytes", "prom_resident_memory_bytes", "prom_cpu_seconds_total", "node_eventloop_lag_p99_seconds", "node_active_handles", "node_heap_used_bytes", "loopscope_workqueue_depth", "loopscope_reconcile_total", "pg_active_backends", "pg_lock_waiting", "pg_longest_query_seconds", "pg_stats_query_seconds"])
    set(k, cur.get(k));
  const idle = d("cpu_idle");
  const all = d("cpu_all");
  set("node_cpu_busy_ratio", idle === undefined ? undefined : ratio(Math.max(0, (all ?? 0) - idle), all));
  set("node_disk_written_bytes_per_second", rate("disk_written"));
  set("node_disk_io_time_ratio", rate("disk_io_time"));
  set("node_context_switches_per_second", rate("ctxt"));
  set("node_forks_per_second", rate("forks"));
  set("node_page_faults_per_second", rate("pgfault"));
  set("prom_cpu_ratio", rate("prom_cpu_seconds_total"));
  set("prom_gc_per_second", rate("prom_gc_count"));
  set("node_cpu_ratio", rate("node_cpu_seconds_total"));
  set("loopscope_reconciles_per_second", rate("loopscope_reconcile_total"));
  set("loopscope_reconcile_error_ratio", ratio(d("reconcile_errors"), d("loopscope_reconcile_total")));
  set("loopscope_reconcile_mean_seconds", ratio(d("reconcile_time_sum"), d("reconcile_time_count")));
  set("pg_commits_per_second", rate("xact_commit"));
  set("pg_tuples_returned_per_second", rate("tup_returned"));
  const hit = d("blks_hit");
  set("pg_cache_hit_ratio", ratio(hit, (hit ?? 0) + (d("blks_read") ?? 0)));
  set("pg_workload_latency_seconds", workloadLatency);
  return out;
}

const files = new Map<number, string>();
for (const s of INTERVALS) {
  const file = path.join(work, `corpus-${s}s.csv`);
  fs.writeFileSync(file, `timestamp,${SERIES.join(",")}\n`);
  files.set(s, file);
}
const workloadMarks = new Map<number, number>(INTERVALS.map((s) => [s, 0]));
const workloadLatency = (s: number): number | undefined => {
  // The slowest transaction finished since this sampler's last row, or the age of one still waiting.
  const from = workloadMarks.get(s) ?? 0;
  const done = finished.slice(from);
  workloadMarks.set(s, finished.length);
  const oldest = Math.min(...inflight);
  const waiting = Number.isFinite(oldest) ? (Date.now() - oldest) / 1000 : 0;
  return done.length || waiting ? Math.max(waiting, ...done) : undefined;
};
const timers: NodeJS.Timeout[] = [];
for (const s of INTERVALS) {
  let prev: Raw | undefined;
  let prevAt = 0;
  let busy = false;
  const tick = async () => {
    if (busy) return; // a slow scrape skips a row: irregular spacing is part of the corpus
    busy = true;
    const at = Date.now();
    const raw = await sampleRaw();
    const row = derive(prev, raw, (at - prevAt) / 1000, workloadLatency(s));
    if (prev) fs.appendFileSync(files.get(s) as string, `${new Date(at).toISOString()},${SERIES.map((k) => (row.has(k) ? +(row.get(k) as number).toPrecision(7) : "")).join(",")}\n`);
    prev = raw;
    prevAt = at;
    busy = false;
  };
  timers.push(setInterval(tick, s * 1000));
  void tick();
}
// keep `finished` bounded
timers.push(setInterval(() => {
  const keep = Math.min(...workloadMarks.values());
  if (keep > 10_000) {
    finished.splice(0, keep);
    for (const [s, m] of workloadMarks) workloadMarks.set(s, m - keep);
  }
}, 60_000));

// ---------------------------------------------------------------- faults
interface Fault {
  kind: string;
  start: string;
  end: string;
  series: readonly string[];
}
const TARGET_SERIES = [
  "node_eventloop_lag_p99_seconds", "node_active_handles", "node_heap_used_bytes", "node_cpu_ratio", "loopscope_workqueue_depth", "loopscope_reconcile_total",
  "loopscope_reconciles_per_second", "loopscope_reconcile_error_ratio", "loopscope_reconcile_mean_seconds",
];
const KINDS: Record<string, { series: readonly string[]; inject: (seconds: number) => Promise<void> }> = {
  "cpu-stress": { series: ["node_cpu_busy_ratio", "node_load1", "node_procs_running"], inject: (s) => stress(["--cpu", "1"], s) },
  "memory-stress": { series: ["node_memory_available_bytes"], inject: (s) => stress(["--vm", "1", "--vm-bytes", "1500M", "--vm-keep"], s) },
  "disk-stress": { series: ["node_disk_written_bytes_per_second", "node_disk_io_time_ratio"], inject: (s) => stress(["--hdd", "1", "--hdd-bytes", "256M", "--temp-path", work], s) },
  "pg-slow-queries": { series: ["pg_active_backends", "pg_longest_query_seconds"], inject: (s) => slowQueries(s) },
  "pg-lock-wait": { series: ["pg_lock_waiting", "pg_workload_latency_seconds", "pg_commits_per_second", "pg_tuples_returned_per_second"], inject: (s) => lockWait(s) },
  "node-leaked-timers": { series: ["node_active_handles"], inject: (s) => post(`/fault/leak-timers?seconds=${s}`, s) },
  "node-event-loop-block": { series: ["node_eventloop_lag_p99_seconds", "node_cpu_ratio"], inject: (s) => post(`/fault/block?seconds=${s}`, s) },
  "go-process-killed": { series: ["prom_goroutines", "prom_heap_alloc_bytes", "prom_resident_memory_bytes", "prom_cpu_seconds_total", "prom_cpu_ratio", "prom_gc_per_second"], inject: (s) => killAndRestart("prometheus", startPrometheus, s) },
  "node-process-killed": { series: TARGET_SERIES, inject: (s) => killAndRestart("target", startTarget, s) },
};
function stress(argv: string[], seconds: number): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn("nice", ["-n", "19", "stress-ng", ...argv, "--timeout", `${seconds}s`, "--quiet"], { stdio: "ignore", cwd: work, detached: true });
    children.set("stress", child);
    child.on("exit", () => resolve());
    child.on("error", () => resolve());
  });
}
async function post(pathname: string, seconds: number): Promise<void> {
  await fetch(`http://127.0.0.1:${ports.target}${pathname}`, { method: "POST" }).catch(() => {});
  await new Promise((r) => setTimeout(r, seconds * 1000));
}
async function slowQueries(seconds: number): Promise<void> {
  const clients = await Promise.all([pgClient(), pgClient(), pgClient()]);
  await Promise.all(clients.map((c) => c.query("select pg_sleep($1)", [seconds]).catch(() => {})));
  await Promise.all(clients.map((c) => c.end()));
}
async function lockWait(seconds: number): Promise<void> {
  const holder = await pgClient();
  await holder.query("begin");
  await holder.query("lock table counters in exclusive mode");
  await new Promise((r) => setTimeout(r, seconds * 1000));
  await holder.query("commit").catch(() => {});
  await holder.end();
}
async function killAndRestart(name: string, restart: () => ChildProcess, seconds: number): Promise<void> {
  children.get(name)?.kill("SIGKILL");
  await new Promise((r) => setTimeout(r, seconds * 1000));
  restart();
}

// A seeded schedule, round-robin over a shuffled kind list, 150–300 s quiet between faults.
const random = new SeededRandom(20261202);
const rand = () => random.next();
const kindNames = Object.keys(KINDS).sort(() => rand() - 0.5);
const faults: Fault[] = [];
const labelsFile = `${outBase}-labels.json`;
const writeLabels = () =>
  fs.writeFileSync(labelsFile, `${JSON.stringify({ recorded: { start: new Date(started).toISOString(), end: new Date().toISOString(), host: `${os.cpus().length} cores, ${os.type()} ${os.release()}`, intervalsSeconds: INTERVALS }, kinds: Object.fromEntries(Object.entries(KINDS).map(([k, v]) => [k, v.series])), faults }, null, 2)}\n`);
const endAt = started + minutes * 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
(async () => {
  await sleep(Number(args.get("warmup") ?? 300) * 1000); // warm-up: five quiet minutes by default
  for (let i = 0; !stopping; i++) {
    const kind = kindNames[i % kindNames.length];
    const seconds = Math.min(Number(args.get("max-fault") ?? 90), kind.endsWith("killed") ? 30 + Math.round(rand() * 30) : 45 + Math.round(rand() * 45));
    if (Date.now() + (seconds + 60) * 1000 > endAt) break;
    const start = new Date().toISOString();
    log(`fault ${kind} for ${seconds}s`);
    await KINDS[kind].inject(seconds);
    faults.push({ kind, start, end: new Date().toISOString(), series: KINDS[kind].series });
    writeLabels();
    await sleep((Number(args.get("quiet") ?? 150) * (1 + rand())) * 1000);
  }
})();

async function finish(): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const t of timers) clearInterval(t);
  writeLabels();
  for (const s of INTERVALS) if (files.has(s)) fs.writeFileSync(`${outBase}-${s}s.csv.gz`, zlib.gzipSync(fs.readFileSync(files.get(s) as string), { level: 9 }));
  for (const [name, c] of children) if (name !== "postgres") c.kill("SIGKILL");
  spawnSync(asPostgres[0] ?? `${pgBin}/pg_ctl`, [...asPostgres.slice(1), ...(asPostgres.length ? [`${pgBin}/pg_ctl`] : []), "-D", pgData, "stop", "-m", "immediate"], { stdio: "ignore" });
  log(`wrote ${outBase}-{${INTERVALS.join(",")}}s.csv.gz and ${labelsFile}`);
  process.exit(0);
}
process.on("uncaughtException", (e) => {
  console.error(e);
  void finish();
});
process.on("unhandledRejection", (e) => {
  console.error(e);
  void finish();
});
process.on("exit", (code) => log(`exit ${code}`));
process.on("SIGINT", finish);
process.on("SIGTERM", finish);
setTimeout(finish, Math.max(0, endAt - Date.now()));
// Snapshots while recording, so the detector can be developed on the corpus so far.
timers.push(setInterval(() => {
  for (const s of INTERVALS) fs.copyFileSync(files.get(s) as string, `${outBase}-${s}s.partial.csv`);
  writeLabels();
}, 60_000));
