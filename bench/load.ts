/**
 * Load check (issue 8): the demo cluster at 1,000 object events/s for 10 minutes, with a
 * dashboard client polling the main tRPC queries at a steady rate. Every few seconds it
 * samples the events/s the controllers receive, the work queues' depth and the
 * process's RSS; at the end it prints the figures (RSS and depth trends as least-squares
 * slopes, the dashboard's latency percentiles) and one JSON line.
 *
 *   npm run bench:load -- [--minutes 10] [--rate 1000] [--sample 5] [--page-every 1000] [--schedule none]
 *
 * Needs the production build (`npm run build`). The app runs as its own process with
 * an embedded PostgreSQL in a temporary data folder, which is removed at the end.
 * The demo's fault schedule is off by default (`--schedule all` turns it on): its leak
 * faults grow memory on purpose, which would hide the trend this check looks for.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type AppProcess, freePort, startApp } from "../test/support/app-process";
import { quantileOfSorted } from "./support/stats";

interface Options {
  minutes: number;
  rate: number;
  sampleSeconds: number;
  pageEveryMs: number;
  schedule: string;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { minutes: 10, rate: 1_000, sampleSeconds: 5, pageEveryMs: 1_000, schedule: "none" };
  for (let i = 0; i < argv.length; i += 1) {
    const [flag, inline] = argv[i].split("=", 2);
    const value = inline ?? argv[++i];
    const number = Number(value);
    switch (flag) {
      case "--minutes":
        options.minutes = number;
        break;
      case "--rate":
        options.rate = number;
        break;
      case "--sample":
        options.sampleSeconds = number;
        break;
      case "--page-every":
        options.pageEveryMs = number;
        break;
      case "--schedule":
        options.schedule = String(value);
        break;
      default:
        throw new Error(`Unknown option ${argv[i]}; use --minutes, --rate, --sample, --page-every or --schedule.`);
    }
  }
  for (const [name, value] of Object.entries(options)) {
    if (typeof value === "number" && !(value > 0)) throw new Error(`--${name} must be a positive number, got ${value}`);
  }
  return options;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Least-squares slope of y over x. */
function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** CPU seconds (user + system) the process has used; clock ticks are 1/100 s on Linux. */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The app's V8 heap in use (nodejs_heap_size_used_bytes on /metrics), in MB. */
async function heapUsedMb(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith("nodejs_heap_size_used_bytes "));
  return line ? Number(line.split(" ")[1]) / 1_048_576 : Number.NaN;
}

/**
 * The lowest value of each whole minute (after the first): RSS and heap are saw-tooths
 * (they climb until a major GC), so a leak shows as rising troughs.
 */
function minuteTroughs<T extends { tMin: number }>(samples: readonly T[], value: (s: T) => number): [number, number][] {
  const troughs = new Map<number, number>();
  for (const s of samples) {
    const minute = Math.floor(s.tMin);
    if (minute < 1) continue;
    troughs.set(minute, Math.min(troughs.get(minute) ?? Number.POSITIVE_INFINITY, value(s)));
  }
  return [...troughs.entries()];
}

const round = (value: number, digits = 1) => Number(value.toFixed(digits));

/** A tRPC query over HTTP GET; throws on a non-2xx answer. */
async function trpcQuery<T>(base: string, procedure: string, input?: unknown): Promise<T> {
  const query = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  const response = await fetch(`${base}/api/trpc/${procedure}${query}`);
  const text = await response.text();
  if (!response.ok) throw new Error(`${procedure}: HTTP ${response.status}: ${text.slice(0, 200)}`);
  return (JSON.parse(text) as { result: { data: T } }).result.data;
}

interface ControllersState {
  routedEvents?: number;
  controllers: { name: string; queue: { depth: number }; lastMinute: { adds: number } }[];
}

/** The queries the dashboard's main pages make, as one page load. */
function dashboardQueries(now: number): { procedure: string; input?: unknown }[] {
  return [
    { procedure: "overview.summary" },
    {
      procedure: "query.range",
      input: {
        metric: "workqueue_queue_duration_seconds",
        start: now - 15 * 60_000,
        end: now,
        fn: "histogram_quantile",
        quantile: 0.99,
        aggregate: { op: "sum", by: ["name"] },
        maxPoints: 300,
      },
    },
    { procedure: "query.range", input: { metric: "workqueue_depth", start: now - 60 * 60_000, end: now, aggregate: { op: "sum", by: ["name"] }, maxPoints: 300 } },
    { procedure: "leaks.suspects" },
    { procedure: "alerts.list" },
  ];
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-load-"));
  fs.chmodSync(dataDir, 0o755);
  console.log(
    `load: demo at ${options.rate} events/s for ${options.minutes} min (schedule ${options.schedule}), sampling every ${options.sampleSeconds} s, ` +
      `a dashboard page load (5 queries) every ${options.pageEveryMs} ms; ${os.availableParallelism()} CPUs`,
  );
  const app = await startApp({
    LOOPSCOPE_DATA_DIR: dataDir,
    LOOPSCOPE_PG_PORT: String(await freePort()),
    LOOPSCOPE_SOURCE: "demo",
    LOOPSCOPE_DEMO_SCHEDULE: options.schedule,
    LOOPSCOPE_DEMO_EVENT_RATE: String(options.rate),
    LOOPSCOPE_LOG_LEVEL: "warn",
  });
  try {
    await measure(options, app);
  } finally {
    if (app.child.exitCode === null) await app.stop("SIGTERM");
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function measure(options: Options, app: AppProcess): Promise<void> {
  const durationMs = options.minutes * 60_000;
  const pid = app.child.pid;
  if (pid === undefined) throw new Error("the app has no pid");

  // Readiness means the database is up; the services start right after. Wait for them.
  const servicesBy = Date.now() + 60_000;
  while ((await fetch(`${app.url}/api/trpc/alerts.list`)).status !== 200) {
    if (Date.now() > servicesBy) throw new Error("the services did not start within 60 s");
    await sleep(250);
  }

  const latencies = new Map<string, number[]>();
  /** Latencies since the last sample, for the per-sample p95 column. */
  let windowLatencies: number[] = [];
  let requests = 0;
  let errors = 0;
  const errorSamples: string[] = [];
  let stopping = false;
  const inFlight = new Set<Promise<void>>();

  // Open-loop client: a page load every pageEveryMs, whatever the previous ones are doing.
  const client = (async () => {
    let next = performance.now();
    while (!stopping) {
      for (const { procedure, input } of dashboardQueries(Date.now())) {
        const started = performance.now();
        requests += 1;
        const done = trpcQuery(app.url, procedure, input)
          .then(() => {
            const list = latencies.get(procedure) ?? [];
            list.push(performance.now() - started);
            windowLatencies.push(performance.now() - started);
            latencies.set(procedure, list);
          })
          .catch((error: unknown) => {
            errors += 1;
            if (errorSamples.length < 5) errorSamples.push((error as Error).message);
          })
          .finally(() => inFlight.delete(done));
        inFlight.add(done);
      }
      next += options.pageEveryMs;
      await sleep(Math.max(0, next - performance.now()));
    }
  })();

  interface Sample {
    tMin: number;
    eventsPerS: number;
    depth: number;
    maxDepth: number;
    rss: number;
    p95: number;
    cpu: number;
    load: number;
    heap: number;
  }
  const samples: Sample[] = [];
  const t0 = Date.now();
  let previousCpu = cpuSeconds(pid);
  let previous = { at: t0, events: (await trpcQuery<ControllersState>(app.url, "runtime.controllers", { limit: 1 })).routedEvents ?? 0 };
  console.log("  t(min)  events/s  depth(sum)  depth(max)  RSS MB  heap MB  API p95 ms  app CPU %  load avg");
  while (Date.now() - t0 < durationMs) {
    await sleep(options.sampleSeconds * 1_000);
    if (app.child.exitCode !== null) throw new Error(`the app exited (code ${app.child.exitCode}):\n${app.output().slice(-4_000)}`);
    const state = await trpcQuery<ControllersState>(app.url, "runtime.controllers", { limit: 1 });
    const at = Date.now();
    const tMin = (at - t0) / 60_000;
    if (state.routedEvents === undefined) throw new Error("runtime.controllers has no routedEvents: is the app older than this bench?");
    const eventsPerS = ((state.routedEvents - previous.events) * 1_000) / (at - previous.at);
    previous = { at, events: state.routedEvents };
    const depths = state.controllers.map((c) => c.queue.depth);
    const sample: Sample = {
      tMin,
      eventsPerS,
      depth: depths.reduce((a, b) => a + b, 0),
      maxDepth: Math.max(0, ...depths),
      rss: rssMb(pid),
      p95: quantileOfSorted(windowLatencies.sort((a, b) => a - b), 0.95),
      cpu: 0,
      load: os.loadavg()[0],
      heap: await heapUsedMb(app.url),
    };
    const cpuNow = cpuSeconds(pid);
    sample.cpu = ((cpuNow - previousCpu) / options.sampleSeconds) * 100;
    previousCpu = cpuNow;
    windowLatencies = [];
    samples.push(sample);
    console.log(
      `  ${sample.tMin.toFixed(2).padStart(6)}  ${sample.eventsPerS.toFixed(0).padStart(8)}  ${String(sample.depth).padStart(10)}  ${String(sample.maxDepth).padStart(10)}  ${sample.rss.toFixed(1).padStart(6)}  ${sample.heap.toFixed(1).padStart(7)}  ${sample.p95.toFixed(0).padStart(9)}  ${sample.cpu.toFixed(0).padStart(9)}  ${sample.load.toFixed(1).padStart(8)}`,
    );
  }
  stopping = true;
  await client;
  await Promise.allSettled([...inFlight]);
  const stopped = await app.stop("SIGTERM");

  // Trends skip the first minute (warm-up: caches, JIT, the first rollups).
  const steady = samples.filter((s) => s.tMin >= 1);
  const trend = steady.length >= 2 ? steady : samples;
  const secondHalf = samples.filter((s) => s.tMin >= options.minutes / 2);
  const rates = (steady.length > 0 ? steady : samples).map((s) => s.eventsPerS);
  const all = [...latencies.values()].flat().sort((a, b) => a - b);
  const perProcedure = Object.fromEntries(
    [...latencies.entries()].map(([procedure, list]) => {
      const sorted = [...list].sort((a, b) => a - b);
      return [procedure, { n: sorted.length, p50_ms: round(quantileOfSorted(sorted, 0.5)), p95_ms: round(quantileOfSorted(sorted, 0.95)) }];
    }),
  );
  const rss = samples.map((s) => s.rss);
  const figures = {
    bench: "load",
    minutes: options.minutes,
    target_events_per_s: options.rate,
    events_per_s_mean: round(rates.reduce((a, b) => a + b, 0) / Math.max(1, rates.length), 0),
    events_per_s_min: round(Math.min(...rates), 0),
    queue_depth_max: Math.max(...samples.map((s) => s.depth)),
    queue_depth_mean: round(trend.reduce((a, s) => a + s.depth, 0) / Math.max(1, trend.length)),
    queue_depth_last: samples.at(-1)?.depth ?? null,
    queue_depth_slope_per_min: round(slope(trend.map((s) => [s.tMin, s.depth])), 2),
    rss_first_mb: round(rss[0]),
    rss_last_mb: round(rss.at(-1) ?? Number.NaN),
    rss_max_mb: round(Math.max(...rss)),
    rss_slope_mb_per_min: round(slope(trend.map((s) => [s.tMin, s.rss])), 2),
    rss_slope_second_half_mb_per_min: round(slope(secondHalf.map((s) => [s.tMin, s.rss])), 2),
    rss_trough_slope_mb_per_min: round(slope(minuteTroughs(samples, (s) => s.rss)), 2),
    heap_first_mb: round(samples[0]?.heap ?? Number.NaN),
    heap_last_mb: round(samples.at(-1)?.heap ?? Number.NaN),
    heap_max_mb: round(Math.max(...samples.map((s) => s.heap))),
    heap_trough_slope_mb_per_min: round(slope(minuteTroughs(samples, (s) => s.heap)), 2),
    api_requests: requests,
    api_errors: errors,
    api_p50_ms: round(quantileOfSorted(all, 0.5)),
    api_p95_ms: round(quantileOfSorted(all, 0.95)),
    api_p99_ms: round(quantileOfSorted(all, 0.99)),
    api_by_procedure: perProcedure,
    app_cpu_percent_mean: round(trend.reduce((a, s) => a + s.cpu, 0) / Math.max(1, trend.length), 0),
    machine_load_avg_mean: round(trend.reduce((a, s) => a + s.load, 0) / Math.max(1, trend.length)),
    cpus: os.availableParallelism(),
    shutdown_ms: stopped.ms,
    shutdown_code: stopped.code,
  };

  console.log("");
  console.log(`events/s      target ${options.rate}, achieved mean ${figures.events_per_s_mean}, min ${figures.events_per_s_min} (routed to controllers; after the first minute)`);
  console.log(
    `queue depth   max ${figures.queue_depth_max}, mean ${figures.queue_depth_mean}, last ${figures.queue_depth_last}, trend ${figures.queue_depth_slope_per_min}/min`,
  );
  console.log(
    `RSS           first ${figures.rss_first_mb} MB, last ${figures.rss_last_mb} MB, max ${figures.rss_max_mb} MB; ` +
      `trend ${figures.rss_slope_mb_per_min} MB/min (after 1 min), ${figures.rss_slope_second_half_mb_per_min} MB/min (second half)`,
  );
  console.log(
    `              per-minute troughs trend ${figures.rss_trough_slope_mb_per_min} MB/min; V8 heap used first ${figures.heap_first_mb} MB, last ${figures.heap_last_mb} MB, max ${figures.heap_max_mb} MB, troughs trend ${figures.heap_trough_slope_mb_per_min} MB/min`,
  );
  console.log(`dashboard API ${requests} requests, ${errors} errors; p50 ${figures.api_p50_ms} ms, p95 ${figures.api_p95_ms} ms, p99 ${figures.api_p99_ms} ms`);
  for (const [procedure, stats] of Object.entries(perProcedure)) console.log(`  ${procedure.padEnd(18)} n=${stats.n} p50 ${stats.p50_ms} ms, p95 ${stats.p95_ms} ms`);
  if (errorSamples.length > 0) console.log(`errors, e.g.: ${errorSamples.join(" | ")}`);
  console.log(`CPU           the app used ${figures.app_cpu_percent_mean}% of one core on average; the machine's 1-min load average was ${figures.machine_load_avg_mean} on ${figures.cpus} CPUs`);
  console.log(`shutdown      ${stopped.ms} ms, exit code ${stopped.code}`);
  console.log(JSON.stringify(figures));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
