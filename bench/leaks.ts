/**
 * Leak tracker benchmark: overhead on a runtime-like reconcile and on a promise-heavy
 * microbenchmark (tracker off vs default vs full capture vs deep mode), memory of
 * tracking under 100,000 leaked timers, and the leak corpus (recall, false-positive
 * rate, time to first finding) with the default grace and sampling.
 *
 *   node --import tsx bench/leaks.ts            (everything, ~10 min on 2 cores)
 *   node --import tsx bench/leaks.ts --quick    (shorter rounds and corpus)
 *   node --import tsx bench/leaks.ts --agent-only [--runs N]
 *                                              (only the agent in a separate process: N pairs of processes,
 *                                              default 4, each alternating 60 slice pairs)
 *
 * The last line is one JSON object with the figures.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import http from "node:http";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { median, medianInterval, quantile } from "./support/stats";

process.env.LOOPSCOPE_LOG_LEVEL ??= "warn";
const { LeakTracker } = await import("../server/leaks/leak-tracker");
const { runReconcile } = await import("../server/leaks/reconcile-settlement");
const { Registry } = await import("prom-client");
const { runCorpus } = await import("../test/leak-corpus/run-corpus");

type Tracker = InstanceType<typeof LeakTracker>;
const quick = process.argv.includes("--quick");
const agentOnly = process.argv.includes("--agent-only");
const runsArg = process.argv.indexOf("--runs");
const thisFile = fileURLToPath(import.meta.url);

// ── memory probe (runs in a child process with --expose-gc) ───────────────────

if (process.argv.includes("--memory-probe")) {
  const withTracker = process.argv.includes("--with-tracker");
  const maxTracked = Number(process.argv[process.argv.indexOf("--max-tracked") + 1]) || 50_000;
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run the memory probe with --expose-gc");
  const heap = () => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  const tracker = withTracker ? new LeakTracker({ registry: new Registry(), maxTracked, graceMs: 0, countIntervalMs: 3_600_000, sampleIntervalMs: 3_600_000 }) : undefined;
  await tracker?.start();
  const before = heap();
  const timers: NodeJS.Timeout[] = [];
  await runReconcile({ controller: "flood", key: "default/flood", reconcileId: 1, startedAt: Date.now() }, async () => {
    for (let i = 0; i < 100_000; i++) timers.push(setInterval(() => undefined, 3_600_000));
  });
  tracker?.sample();
  tracker?.countResources();
  const after = heap();
  const status = tracker?.status();
  console.log(JSON.stringify({ bytes: after - before, tracked: status?.tracked ?? 0, dropped: status?.dropped ?? 0, groups: status?.groups ?? 0 }));
  for (const timer of timers) clearInterval(timer);
  await tracker?.stop();
  process.exit(0);
}

// ── a loopback API server in its own process (the controller's "API server") ──

function startApiServer(): Promise<{ port: number; child: ChildProcess }> {
  const script = `
    const http = require("node:http");
    const body = JSON.stringify({ kind: "Pod", metadata: { name: "web-1", namespace: "default", resourceVersion: "42" }, spec: { containers: [{ name: "app", image: "nginx" }] } });
    const server = http.createServer((req, res) => { res.setHeader("content-type", "application/json"); res.end(body); });
    server.keepAliveTimeout = 60000;
    server.listen(0, "127.0.0.1", () => process.stdout.write(server.address().port + "\\n"));`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.stdout?.once("data", (data: Buffer) => resolve({ port: Number(data.toString().trim()), child }));
    child.once("error", reject);
  });
}

// ── overhead: runtime-like reconcile throughput ───────────────────────────────

let reconcileIds = 0;

function getJson(agent: http.Agent, port: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path: "/api/v1/namespaces/default/pods/web-1", agent }, (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (text += chunk));
        response.on("end", () => resolve(JSON.parse(text)));
      })
      .on("error", reject);
  });
}

/** A few awaits, a deadline timer that is cleared, and one loopback API call. */
async function realisticReconcile(agent: http.Agent, port: number): Promise<void> {
  await Promise.resolve();
  const deadline = setTimeout(() => undefined, 10_000);
  try {
    const object = (await getJson(agent, port)) as { metadata: { resourceVersion: string } };
    await Promise.resolve(object.metadata.resourceVersion);
  } finally {
    clearTimeout(deadline);
  }
  await Promise.resolve();
}

async function reconcileThroughput(ms: number, agent: http.Agent, port: number, workers = 4): Promise<number> {
  let done = 0;
  const endAt = performance.now() + ms;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < endAt) {
        reconcileIds += 1;
        await runReconcile({ controller: "pods", key: `default/web-${reconcileIds % 50}`, reconcileId: reconcileIds, startedAt: Date.now() }, () =>
          realisticReconcile(agent, port),
        );
        done += 1;
      }
    }),
  );
  return done / (ms / 1_000);
}

async function noop(): Promise<number> {
  return 1;
}

/** Sequential `await noop()` inside one reconcile context: the worst case for promise hooks. */
async function promiseThroughput(ms: number): Promise<number> {
  let ops = 0;
  const endAt = performance.now() + ms;
  reconcileIds += 1;
  await runReconcile({ controller: "micro", key: "k", reconcileId: reconcileIds, startedAt: Date.now() }, async () => {
    while (performance.now() < endAt) {
      for (let i = 0; i < 1_000; i++) ops += await noop();
    }
  });
  return ops / (ms / 1_000);
}

type Condition = "off" | "default" | "full-capture" | "deep" | "deep+full-capture";
const conditions: Condition[] = ["off", "default", "full-capture", "deep", "deep+full-capture"];

/**
 * Runs `run` with the tracker in `condition`. The tracker samples once per round (more
 * often than its default 5 s), so the cost of sampling — and in deep mode of the full
 * GC before judging promises — is part of the figure.
 */
async function withCondition<T>(condition: Condition, roundMs: number, run: () => Promise<T>): Promise<T> {
  let tracker: Tracker | undefined;
  if (condition !== "off") {
    tracker = new LeakTracker({ registry: new Registry(), deepMode: condition.startsWith("deep"), sampleIntervalMs: Math.max(100, roundMs * 0.9) });
    await tracker.start();
    if (condition.endsWith("full-capture")) tracker.setFullCapture(60);
  }
  try {
    return await run();
  } finally {
    await tracker?.stop();
  }
}

interface Slice {
  perSecond: number;
  /** Main-process CPU microseconds per operation. */
  cpuPerOp: number;
}

/**
 * Untimed work at the start of every slice, whatever its condition. Installing or removing
 * the tracker replaces EventEmitter and timer functions, which sends Node's own optimized
 * http/stream code back through deoptimization ("wrong map") for a few milliseconds; the
 * product installs once at start-up, so that re-warming is the bench's artifact, not the
 * tracker's cost, and without this it lands on every tracker slice but only half the
 * tracker-off ones.
 */
const SLICE_WARMUP_MS = 60;

async function slice(condition: Condition, ms: number, run: (ms: number) => Promise<number>): Promise<Slice> {
  return withCondition(condition, ms, async () => {
    await run(SLICE_WARMUP_MS);
    const cpu = process.cpuUsage();
    const perSecond = await run(ms);
    const used = process.cpuUsage(cpu);
    return { perSecond, cpuPerOp: (used.user + used.system) / Math.max(1, perSecond * (ms / 1_000)) };
  });
}

/**
 * Paired comparison, robust to a shared, drifting machine: each condition runs in short
 * slices right next to a tracker-off slice (alternating which goes first), and the
 * ratio is the median of the per-pair throughput ratios. The CPU-time ratio (main
 * process CPU per operation, off / condition) is printed alongside as a cross-check.
 */
async function measure(label: string, pairs: number, sliceMs: number, run: (ms: number) => Promise<number>, only: Condition[] = conditions) {
  await slice("off", sliceMs, run); // warm-up
  const result = new Map<Condition, { perSecond: number; ratio: number; cpuRatio: number }>();
  const offSlices: Slice[] = [];
  const rows: string[] = [];
  for (const condition of only.filter((c) => c !== "off")) {
    const ratios: number[] = [];
    const own: Slice[] = [];
    const base: Slice[] = [];
    for (let pair = 0; pair < pairs; pair++) {
      const [first, second] = pair % 2 === 0 ? (["off", condition] as const) : ([condition, "off"] as const);
      const a = await slice(first, sliceMs, run);
      const b = await slice(second, sliceMs, run);
      const [off, cond] = first === "off" ? [a, b] : [b, a];
      ratios.push(cond.perSecond / off.perSecond);
      own.push(cond);
      base.push(off);
    }
    offSlices.push(...base);
    const cpuRatio = median(base.map((s) => s.cpuPerOp)) / median(own.map((s) => s.cpuPerOp));
    const entry = { perSecond: median(own.map((s) => s.perSecond)), ratio: median(ratios), cpuRatio };
    result.set(condition, entry);
    rows.push(
      `  ${condition.padEnd(18)} ${entry.perSecond.toFixed(0).padStart(10)}/s   throughput ratio ${entry.ratio.toFixed(3)}   CPU ratio ${cpuRatio.toFixed(3)}   (${median(own.map((s) => s.cpuPerOp)).toFixed(1)} µs CPU/op)`,
    );
  }
  const off = { perSecond: median(offSlices.map((s) => s.perSecond)), ratio: 1, cpuRatio: 1 };
  result.set("off", off);
  console.log(`\n${label}\n  (${pairs} paired ${sliceMs} ms slices per condition; ratio = median of condition / adjacent tracker-off slice)`);
  console.log(`  ${"off (baseline)".padEnd(18)} ${off.perSecond.toFixed(0).padStart(10)}/s   (${median(offSlices.map((s) => s.cpuPerOp)).toFixed(1)} µs CPU/op)`);
  for (const row of rows) console.log(row);
  return result;
}

// ── memory under 100,000 leaked timers ────────────────────────────────────────

function memoryProbe(args: string[]): { bytes: number; tracked: number; dropped: number; groups: number } {
  const output = execFileSync(process.execPath, ["--expose-gc", "--import", "tsx", thisFile, "--memory-probe", ...args], {
    encoding: "utf8",
    env: { ...process.env, LOOPSCOPE_LOG_LEVEL: "warn" },
  });
  return JSON.parse(output.trim().split("\n").pop() ?? "{}");
}

// ── main ──────────────────────────────────────────────────────────────────────

const started = performance.now();
const round3 = (v: number | undefined) => (v === undefined ? null : Math.round(v * 1000) / 1000);
const api = await startApiServer();
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

const pairs = quick ? 4 : 16;
const skipped = async () => new Map<Condition, { perSecond: number; ratio: number; cpuRatio: number }>();
const reconcile = agentOnly ? await skipped() : await measure("Runtime-like reconcile throughput (4 workers, 3 awaits + deadline timer + loopback HTTP GET)", pairs, 300, (ms) =>
  reconcileThroughput(ms, agent, api.port),
);
const micro = agentOnly ? await skipped() : await measure("Promise-heavy microbenchmark (sequential await noop() in a reconcile context)", pairs, quick ? 150 : 200, promiseThroughput, [
  "off",
  "default",
  "deep",
]);
agent.destroy();

// ── the agent in a separate, plain Node process ───────────────────────────────

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
// Always from the current source, so the figure is this checkout's agent.
execFileSync(process.execPath, [`${repoRoot}packages/agent/build.mjs`], { stdio: "inherit" });
/** A workload process (bench/agent-workload.mjs) that runs one slice per request, kept alive between slices. */
interface WorkloadProcess {
  slice(ms: number): Promise<{ perSecond: number; cpuPerOp: number }>;
  /** Ends the process; resolves to the size of its young generation (MB). */
  end(): Promise<number>;
}

async function startWorkload(withAgent: boolean, promises: boolean): Promise<WorkloadProcess> {
  const args = [...(withAgent ? ["--import", "@loopscope/agent/register"] : []), `${repoRoot}bench/agent-workload.mjs`, String(api.port)];
  const env = { ...process.env, LOOPSCOPE_AGENT_PORT: "0", LOOPSCOPE_AGENT_PROMISES: promises ? "1" : "0" };
  const child = spawn(process.execPath, args, { cwd: repoRoot, env, stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const line = await lines.next();
    if (line.done) throw new Error(`agent workload exited: ${stderr}`);
    return line.value;
  };
  if ((await next()) !== "ready") throw new Error(`agent workload did not start: ${stderr}`);
  return {
    async slice(ms) {
      child.stdin.write(`slice ${ms}\n`);
      return JSON.parse(await next());
    },
    async end() {
      child.stdin.write("end\n");
      const { newSpaceMb } = JSON.parse(await next()) as { newSpaceMb: number };
      return newSpaceMb;
    },
  };
}

/** Slice pairs per pair of processes: each pair is two 300 ms slices next to each other in time. */
const SLICE_PAIRS = quick ? 20 : 60;
const SLICE_MS = 300;

/**
 * The agent's cost in a separate plain Node process: `runs` pairs of processes, one with the
 * agent and one without, both alive for the whole measurement, alternating short slices
 * (which goes first alternates too). Each slice pair shares the machine's moment, so the
 * slow swings of a 2-core VM (2× between slices of one process) cancel in its ratio; the
 * figure is the median ratio over every slice pair, with its quartiles and a 95 % interval
 * for that median (slice pairs drawn by pair of processes, see medianInterval).
 */
async function agentProcessRatio(
  promises: boolean,
  runs: number,
): Promise<{ ratio: number; quartiles: [number, number]; interval: [number, number]; cpuRatio: number; off: number; on: number; newSpaceOffMb: number; newSpaceOnMb: number }> {
  const ratiosByRun: number[][] = [];
  const cpuRatios: number[] = [];
  const offRates: number[] = [];
  const onRates: number[] = [];
  const newSpaceOff: number[] = [];
  const newSpaceOn: number[] = [];
  for (let run = 0; run < runs; run++) {
    const [without, withAgent] = [await startWorkload(false, promises), await startWorkload(true, promises)];
    const runRatios: number[] = [];
    ratiosByRun.push(runRatios);
    for (let pair = 0; pair < SLICE_PAIRS; pair++) {
      const [first, second] = (run + pair) % 2 === 0 ? [without, withAgent] : [withAgent, without];
      const a = await first.slice(SLICE_MS);
      const b = await second.slice(SLICE_MS);
      const [off, on] = first === without ? [a, b] : [b, a];
      runRatios.push(on.perSecond / off.perSecond);
      cpuRatios.push(off.cpuPerOp / on.cpuPerOp);
      offRates.push(off.perSecond);
      onRates.push(on.perSecond);
    }
    newSpaceOff.push(await without.end());
    newSpaceOn.push(await withAgent.end());
  }
  const ratios = ratiosByRun.flat();
  const quartiles: [number, number] = [quantile(ratios, 0.25), quantile(ratios, 0.75)];
  return {
    ratio: median(ratios),
    quartiles,
    interval: medianInterval(ratiosByRun),
    cpuRatio: median(cpuRatios),
    off: median(offRates),
    on: median(onRates),
    newSpaceOffMb: median(newSpaceOff),
    newSpaceOnMb: median(newSpaceOn),
  };
}
/**
 * Pairs of processes per figure. Each pair of processes has a speed of its own
 * (its JIT, its memory layout, a stretch of the machine's load): at 2 pairs the default-mode
 * figure varied by about ±1 point from run to run, as much as its margin over the target.
 */
const agentRuns = runsArg > 0 ? Number(process.argv[runsArg + 1]) : quick ? 1 : 4;
if (!(Number.isInteger(agentRuns) && agentRuns > 0)) throw new Error("--runs needs a positive whole number");
const agentDefault = await agentProcessRatio(false, agentRuns);
const agentDeep = await agentProcessRatio(true, agentRuns);
const agentRatio = agentDefault.ratio;
console.log("\nThe agent in a separate plain Node process (node --import @loopscope/agent/register; same reconcile workload through trackWork)");
console.log(
  `  ${"".padEnd(24)} ${"without agent".padStart(14)} ${"with agent".padStart(12)}   throughput ratio (median of ${agentRuns * SLICE_PAIRS} slice pairs, its 95 % interval, quartiles; target)   CPU ratio   young generation (MB, without → with)`,
);
/** One printed row: throughputs, the median ratio with its quartiles against the target, CPU ratio, young generation. */
const agentRow = (label: string, r: typeof agentDefault, target: string) =>
  `  ${label.padEnd(24)} ${r.off.toFixed(0).padStart(12)}/s ${r.on.toFixed(0).padStart(10)}/s   ${r.ratio.toFixed(3)} [${r.interval.map((q) => q.toFixed(3)).join("–")}] (${r.quartiles.map((q) => q.toFixed(2)).join("–")}; ${target})   ${r.cpuRatio.toFixed(3)}   ${r.newSpaceOffMb.toFixed(0)} → ${r.newSpaceOnMb.toFixed(0)}`;
console.log(agentRow("default", agentDefault, "≥ 0.95"));
console.log(agentRow("promise tracking on", agentDeep, "≥ 0.75"));
api.child.kill();
if (agentOnly) {
  console.log(
    JSON.stringify({
      overhead_ratio_agent_process: round3(agentRatio),
      overhead_ratio_agent_process_ci95: agentDefault.interval.map(round3),
      overhead_ratio_agent_process_deep: round3(agentDeep.ratio),
      cpu_ratio_agent_process: round3(agentDefault.cpuRatio),
      cpu_ratio_agent_process_deep: round3(agentDeep.cpuRatio),
      young_generation_mb_agent_process: { without: agentDefault.newSpaceOffMb, with: agentDefault.newSpaceOnMb, with_deep: agentDeep.newSpaceOnMb },
    }),
  );
  process.exit(0);
}

// ── the agent's time to suspect, with its default settings ────────────────────

const { agentTimeToSuspect } = await import("./support/agent-time-to-suspect");
const timeToSuspect = await agentTimeToSuspect(180_000, false);
console.log(
  `\nThe agent with its default settings (a plain service, 10 requests/s, every other one leaks an interval): a suspect naming src/app.ts:${timeToSuspect.leakLine} after ${timeToSuspect.seconds ?? "(none within 180)"} s (target ≤ 60 s)`,
);

// ── goroutine dumps: parsing a 10,000-goroutine dump, and the collector's CPU ──

const { parseGoroutineDump } = await import("../server/goroutines/goroutine-dump");
const { groupGoroutines } = await import("../server/goroutines/goroutine-groups");
const { goroutineGrowthWindows, goroutineSuspects } = await import("../server/goroutines/goroutine-suspects");
const fixtures = `${repoRoot}test/fixtures/goroutine-dumps/`;
// Real goroutine entries (captured from Prometheus and the controller-runtime operator), renumbered, to 10,000.
const entries = ["prometheus-2.42-debian.txt", "controller-runtime-operator-go1.26.8.txt"].flatMap((f) => readFileSync(fixtures + f, "utf8").split(/\n(?=goroutine \d+ \[)/));
const big: string[] = [];
for (let i = 0; big.length < 10_000; i++) big.push(entries[i % entries.length].replace(/^goroutine \d+/, `goroutine ${i + 1}`).trimEnd());
const bigDump = `${big.join("\n\n")}\n`;
const parseTimes: number[] = [];
let parsedCount = 0;
let groupCount = 0;
for (let i = 0; i < 7; i++) {
  const t0 = performance.now();
  const parsed = parseGoroutineDump(bigDump);
  const groups = groupGoroutines(parsed.goroutines);
  parseTimes.push(performance.now() - t0);
  parsedCount = parsed.goroutines.length;
  groupCount = groups.length;
}
const parseMs = median(parseTimes.slice(2));
console.log(`\nGoroutine dump of ${parsedCount} goroutines (${(bigDump.length / 1e6).toFixed(1)} MB, ${groupCount} groups): parse + group ${parseMs.toFixed(1)} ms (median; target < 200 ms)`);
// The collector's per-dump work (parse, group, trend test over an hour of history) on the operator's real dump,
// at the product's 30 s interval: CPU per target per minute (store writes not included).
const operatorDump = readFileSync(`${fixtures}controller-runtime-operator-go1.26.8.txt`, "utf8");
const history = new Map<string, { t: number; value: number }[]>();
const cpu0 = process.cpuUsage();
const collections = 120;
for (let i = 0; i < collections; i++) {
  const at = 1_800_000_000_000 + i * 30_000;
  const groups = groupGoroutines(parseGoroutineDump(operatorDump).goroutines);
  for (const g of groups) {
    const points = history.get(g.id) ?? [];
    points.push({ t: at, value: g.count });
    if (points.length > 130) points.shift();
    history.set(g.id, points);
  }
  goroutineSuspects(groups, (id) => history.get(id) ?? [], at, { growth: goroutineGrowthWindows(30_000) });
}
const cpu = process.cpuUsage(cpu0);
const collectorCpuPerMinute = ((cpu.user + cpu.system) / 1000 / collections) * 2;
console.log(`  collector CPU per Go target: ${collectorCpuPerMinute.toFixed(2)} ms per minute at one dump per 30 s (${parseGoroutineDump(operatorDump).goroutines.length}-goroutine operator dump)`);

const baselineMemory = memoryProbe([]);
const defaultMemory = memoryProbe(["--with-tracker", "--max-tracked", "50000"]);
const uncappedMemory = memoryProbe(["--with-tracker", "--max-tracked", "200000"]);
const trackerBytes = defaultMemory.bytes - baselineMemory.bytes;
const perTracked = (uncappedMemory.bytes - baselineMemory.bytes) / Math.max(1, uncappedMemory.tracked);
console.log("\nMemory: one reconcile leaks 100,000 intervals (heap after full GC, tracker minus no tracker)");
console.log(`  no tracker           ${(baselineMemory.bytes / 1e6).toFixed(1)} MB for the leaked timers themselves`);
console.log(
  `  default (cap 50,000) +${(trackerBytes / 1e6).toFixed(1)} MB   tracked ${defaultMemory.tracked}, dropped ${defaultMemory.dropped}, groups ${defaultMemory.groups}`,
);
console.log(
  `  cap 200,000          +${((uncappedMemory.bytes - baselineMemory.bytes) / 1e6).toFixed(1)} MB   tracked ${uncappedMemory.tracked} → ${perTracked.toFixed(0)} bytes per tracked resource`,
);

const corpusOptions = quick
  ? { graceMs: 5_000, sampleIntervalMs: 1_000, reconcileEveryMs: 500, durationMs: 30_000, tailMs: 3_000 }
  : { graceMs: 30_000, sampleIntervalMs: 5_000, reconcileEveryMs: 2_000, durationMs: 120_000, tailMs: 10_000 };
console.log(
  `\nLeak corpus (grace ${corpusOptions.graceMs / 1000} s, sample every ${corpusOptions.sampleIntervalMs / 1000} s, each scenario reconciles every ${corpusOptions.reconcileEveryMs / 1000} s for ${corpusOptions.durationMs / 1000} s, deep mode on, stack sample rate 0.1)`,
);
const corpus = await runCorpus({ ...corpusOptions, deepMode: true, stackSampleRate: 0.1 });
const leaking = corpus.outcomes.filter((o) => o.leaks);
const clean = corpus.outcomes.filter((o) => !o.leaks);
for (const o of corpus.outcomes.filter((x) => x.leaks !== x.detected || (!x.leaks && x.blamedTypes.length > 0))) {
  console.log(`  ${o.leaks ? "MISSED" : "FALSE POSITIVE"} ${o.name} (${o.reconciles} reconciles; blamed: ${o.blamedTypes.join(", ") || "-"})`);
}
const seconds = (ms: number | null) => (ms === null ? null : Math.round(ms / 100) / 10);
console.log(
  `  recall ${leaking.filter((o) => o.detected).length}/${leaking.length} = ${corpus.recall.toFixed(3)} (target ≥ 0.95)   false positives ${clean.filter((o) => o.blamedTypes.length > 0).length}/${clean.length} = ${corpus.falsePositiveRate.toFixed(3)} (target ≤ 0.02)`,
);
console.log(
  `  time to first finding: median ${seconds(corpus.medianFirstFindingMs)} s, max ${seconds(corpus.maxFirstFindingMs)} s from the first reconcile (the grace period alone is ${corpusOptions.graceMs / 1000} s; the trend test then needs growth across every third of its 12-sample window)`,
);
console.log(`  tracker at the end: ${corpus.status?.tracked} tracked, ${corpus.status?.dropped} dropped, ${corpus.status?.groups} groups`);
console.log(`\nTotal ${((performance.now() - started) / 1000).toFixed(0)} s`);

if (!quick) {
  // The figures the Leaks page shows beside the promise-tracking switch.
  const cost = {
    measuredAt: new Date().toISOString(),
    node: process.version,
    cpus: os.availableParallelism(),
    ratioDefault: round3(reconcile.get("default")?.ratio),
    ratioDeep: round3(reconcile.get("deep")?.ratio),
    agentProcessRatioDefault: round3(agentRatio),
    agentProcessRatioDeep: round3(agentDeep.ratio),
  };
  writeFileSync(`${repoRoot}shared/leak-tracker-cost.json`, `${JSON.stringify(cost, null, 2)}\n`);
  console.log("Recorded for the Leaks page: shared/leak-tracker-cost.json");
}
console.log(
  JSON.stringify({
    overhead_ratio_default: round3(reconcile.get("default")?.ratio),
    overhead_ratio_agent_process: round3(agentRatio),
    overhead_ratio_agent_process_ci95: agentDefault.interval.map(round3),
    overhead_ratio_agent_process_deep: round3(agentDeep.ratio),
    agent_time_to_suspect_default_s: timeToSuspect.seconds,
    cpu_ratio_agent_process: round3(agentDefault.cpuRatio),
    cpu_ratio_agent_process_deep: round3(agentDeep.cpuRatio),
    overhead_ratio_full: round3(reconcile.get("deep+full-capture")?.ratio),
    overhead_ratio_deep: round3(reconcile.get("deep")?.ratio),
    overhead_ratio_full_capture: round3(reconcile.get("full-capture")?.ratio),
    reconcile_throughput_off: Math.round(reconcile.get("off")?.perSecond ?? 0),
    promise_micro_ratio_default: round3(micro.get("default")?.ratio),
    promise_micro_ratio_deep: round3(micro.get("deep")?.ratio),
    tracker_bytes_100k_leaks: trackerBytes,
    tracker_bytes_per_tracked_resource: Math.round(perTracked),
    corpus_recall: round3(corpus.recall),
    corpus_false_positive_rate: round3(corpus.falsePositiveRate),
    corpus_first_finding_median_s: seconds(corpus.medianFirstFindingMs),
    corpus_first_finding_max_s: seconds(corpus.maxFirstFindingMs),
    goroutine_dump_parse_ms_10k: Math.round(parseMs * 10) / 10,
    collector_cpu_ms_per_go_target_per_minute: Math.round(collectorCpuPerMinute * 100) / 100,
    corpus_leaking_scenarios: leaking.length,
    corpus_clean_scenarios: clean.length,
  }),
);
process.exit(0);
