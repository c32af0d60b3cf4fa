/**
 * Controller runtime benchmark (npm run bench:runtime).
 *
 * Throughput is measured in operations per CPU second of this process
 * (process.cpuUsage), not per wall-clock second, so other processes competing for the
 * CPU do not skew the comparison; wall-clock figures are printed alongside.
 *
 * 1. Throughput of add → get → done over 10,000 distinct keys with 1, 4 and 16 async
 *    workers, side by side with fastq (promise API) doing the same work; Loopscope's
 *    queue runs with deduplication and metrics on (and off, for the metrics cost).
 * 2. Latency from add to reconcile start through a full Controller (16 workers,
 *    metrics on) at 10,000 adds per second: p50 / p99 per 1 s run, and the median over
 *    runs (one stall of the whole process, e.g. when other processes hog the CPU, only
 *    spoils the run it falls in; each run prints its longest event-loop stall).
 * The last line is one JSON object with the headline figures.
 */
import os from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import fastq from "fastq";
import pino from "pino";
import { Registry } from "prom-client";
import { Controller } from "../server/runtime/controller/controller";
import { RuntimeMetrics } from "../server/runtime/metrics/runtime-metrics";
import { WorkQueue } from "../server/runtime/workqueue/queue";
import { median, quantileOfSorted } from "./support/stats";

/** The controllers' own log lines would interleave with the figures (and follow the final JSON line). */
const quiet = pino({ level: "silent" });

const KEYS = 10_000;
/** Each sample runs several cycles so CPU-time accounting granularity does not matter. */
const CYCLES_PER_SAMPLE = 5;
const SAMPLES = 15;
const WARMUP = 3;
const keys = Array.from({ length: KEYS }, (_, i) => `namespace-${i % 50}/object-${i}`);

let sink = 0;
/** The same small piece of work for every contender. */
function work(key: string): void {
  sink = (sink + key.charCodeAt(key.length - 1)) | 0;
}

/** CPU milliseconds (user + system) of this process so far. */
function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

interface Rate {
  cpu: number;
  wall: number;
}

/** One add → get → done cycle over all keys through a fresh Loopscope queue. */
async function loopscopeCycle(workers: number, metrics: boolean, registry: Registry): Promise<void> {
  const queue = new WorkQueue<string>({ name: "bench", metrics: metrics ? RuntimeMetrics.of(registry).queue("bench") : undefined });
  let remaining = KEYS;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const loops: Promise<void>[] = [];
  for (let w = 0; w < workers; w += 1) {
    loops.push(
      (async () => {
        for (;;) {
          const item = await queue.get();
          if (item.shutdown) return;
          work(item.key);
          queue.done(item.key);
          remaining -= 1;
          if (remaining === 0) finish();
        }
      })(),
    );
  }
  for (const key of keys) queue.add(key);
  await finished;
  queue.shutDown();
  await Promise.all(loops);
}

/** The same cycle through fastq (promise API, same concurrency, same work). */
async function fastqCycle(workers: number): Promise<void> {
  const queue = fastq.promise(async (key: string) => work(key), workers);
  for (const key of keys) void queue.push(key);
  await queue.drained();
}

/** fastq's callback API with a synchronous worker: no promises at all (a lower bound, not an async worker). */
async function fastqCallbackCycle(workers: number): Promise<void> {
  const queue = fastq((key: string, done: (error: Error | null) => void) => {
    work(key);
    done(null);
  }, workers);
  await new Promise<void>((resolve) => {
    queue.drain = resolve;
    for (const key of keys) queue.push(key);
  });
}

/** Runs `cycles` cycles and returns ops per CPU second and per wall second. */
async function sample(cycles: number, cycle: () => Promise<void>): Promise<Rate> {
  const c0 = cpuMs();
  const t0 = performance.now();
  for (let i = 0; i < cycles; i += 1) await cycle();
  const ops = cycles * KEYS;
  return { cpu: ops / ((cpuMs() - c0) / 1000), wall: ops / ((performance.now() - t0) / 1000) };
}

async function throughput(workers: number, registry: Registry) {
  const on: Rate[] = [];
  const off: Rate[] = [];
  const baseline: Rate[] = [];
  const callbacks: Rate[] = [];
  const contenders: [Rate[], () => Promise<void>][] = [
    [callbacks, () => fastqCallbackCycle(workers)],
    [on, () => loopscopeCycle(workers, true, registry)],
    [baseline, () => fastqCycle(workers)],
    [off, () => loopscopeCycle(workers, false, registry)],
  ];
  for (let round = 0; round < WARMUP + SAMPLES; round += 1) {
    // Interleaved, in a rotating order, so drift (CPU frequency, other processes) hits every contender alike.
    for (let i = 0; i < contenders.length; i += 1) {
      const [rates, cycle] = contenders[(round + i) % contenders.length];
      const rate = await sample(CYCLES_PER_SAMPLE, cycle);
      if (round >= WARMUP) rates.push(rate);
    }
  }
  const cpu = (rates: Rate[]) => median(rates.map((r) => r.cpu));
  const wall = (rates: Rate[]) => median(rates.map((r) => r.wall));
  return { on: cpu(on), off: cpu(off), fastq: cpu(baseline), fastqCallback: cpu(callbacks), wallOn: wall(on), wallOff: wall(off), wallFastq: wall(baseline) };
}

interface LatencyRun {
  p50: number;
  p99: number;
  max: number;
  adds: number;
  /** Longest event-loop stall seen during the run (GC, or the process not being scheduled). */
  maxLoopDelayMs: number;
}

async function latency(ratePerSecond: number, seconds: number, workers: number): Promise<LatencyRun> {
  const registry = new Registry();
  const total = ratePerSecond * seconds;
  const addedAt = new Float64Array(total);
  const delays = new Float64Array(total);
  let started = 0;
  const controller = new Controller({
    log: quiet,
    name: "latency",
    registry,
    maxConcurrentReconciles: workers,
    reconcile: async ({ key }) => {
      const index = Number(key.slice(key.lastIndexOf("-") + 1));
      delays[index] = performance.now() - addedAt[index];
      started += 1;
      // A little asynchronous work per reconcile.
      await new Promise((resolve) => setImmediate(resolve));
    },
  });
  controller.start();
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  const t0 = performance.now();
  let next = 0;
  // Events arrive in small batches, as they do from a watch stream: every millisecond
  // (timer resolution), whatever is due at the target rate.
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * ratePerSecond));
      while (next < due) {
        addedAt[next] = performance.now();
        controller.enqueue(`ns/object-${next}`, "object-added");
        next += 1;
      }
      if (next >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  while (started < total) await new Promise((resolve) => setTimeout(resolve, 5));
  loopDelay.disable();
  await controller.stop();
  const sorted = delays.slice().sort();
  return { p50: quantileOfSorted(sorted, 0.5), p99: quantileOfSorted(sorted, 0.99), max: sorted[sorted.length - 1], adds: total, maxLoopDelayMs: loopDelay.max / 1e6 };
}

async function main(): Promise<void> {
  const registry = new Registry();
  console.log(`Throughput: add → get → done over ${KEYS} keys, ops per CPU second (median of ${SAMPLES} samples of ${CYCLES_PER_SAMPLE} cycles, after ${WARMUP} warm-up samples)`);
  console.log("workers   loopscope (metrics on)   loopscope (metrics off)        fastq   ratio vs fastq   metrics on/off   | wall clock: on / off / fastq ops/s");
  const results = new Map<number, Awaited<ReturnType<typeof throughput>>>();
  const fmt = (n: number) => Math.round(n).toLocaleString("en");
  for (const workers of [1, 4, 16]) {
    const r = await throughput(workers, registry);
    results.set(workers, r);
    console.log(
      `${String(workers).padStart(7)}   ${fmt(r.on).padStart(14)} ops/s   ${fmt(r.off).padStart(15)} ops/s   ${fmt(r.fastq).padStart(10)} ops/s   ${(r.on / r.fastq).toFixed(2).padStart(13)}×   ${(r.on / r.off).toFixed(2).padStart(14)}   | ${fmt(r.wallOn)} / ${fmt(r.wallOff)} / ${fmt(r.wallFastq)}`,
    );
  }
  console.log("(baseline: fastq.promise with an async worker, the same shape as Loopscope's async workers; fastq has no");
  console.log(" deduplication, no in-flight tracking and no metrics.)");
  console.log("fastq callback API with a synchronous worker (no promises at all; a lower bound, not the baseline):");
  for (const [workers, r] of results) console.log(`${String(workers).padStart(7)}   ${fmt(r.fastqCallback).padStart(14)} ops/s   Loopscope at ${(r.on / r.fastqCallback).toFixed(2)}× of it`);

  const RUNS = 5;
  console.log(`\nLatency: add → reconcile start through a Controller, 16 workers, metrics on, 10,000 adds/s, ${RUNS} runs of 1 s`);
  console.log(`(load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs; a stall of the whole process shows as a large loop delay)`);
  const runs: LatencyRun[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const r = await latency(10_000, 1, 16);
    runs.push(r);
    console.log(`  run ${run + 1}: adds ${r.adds}   p50 ${r.p50.toFixed(3)} ms   p99 ${r.p99.toFixed(3)} ms   max ${r.max.toFixed(1)} ms   longest loop stall ${r.maxLoopDelayMs.toFixed(1)} ms`);
  }
  const lat = { p50: median(runs.map((r) => r.p50)), p99: median(runs.map((r) => r.p99)), worstP99: Math.max(...runs.map((r) => r.p99)) };
  console.log(`  median of runs: p50 ${lat.p50.toFixed(3)} ms   p99 ${lat.p99.toFixed(3)} ms (worst run p99 ${lat.worstP99.toFixed(3)} ms; target p99 < 2 ms)`);

  const w16 = results.get(16)!;
  const summary = {
    throughput_ratio_vs_fastq_16w: Number((w16.on / w16.fastq).toFixed(3)),
    ops_per_s_16w: Math.round(w16.on),
    fastq_ops_per_s_16w: Math.round(w16.fastq),
    p50_add_to_start_ms: Number(lat.p50.toFixed(4)),
    p99_add_to_start_ms: Number(lat.p99.toFixed(4)),
    worst_run_p99_add_to_start_ms: Number(lat.worstP99.toFixed(4)),
    metrics_on_off_ratio: Number((w16.on / w16.off).toFixed(3)),
    throughput_ratio_vs_fastq_1w: Number((results.get(1)!.on / results.get(1)!.fastq).toFixed(3)),
    throughput_ratio_vs_fastq_4w: Number((results.get(4)!.on / results.get(4)!.fastq).toFixed(3)),
    throughput_ratio_vs_fastq_callback_16w: Number((w16.on / w16.fastqCallback).toFixed(3)),
    load_average: Number(os.loadavg()[0].toFixed(1)),
  };
  if (sink === 42) console.log("");
  console.log(JSON.stringify(summary));
}

await main();
