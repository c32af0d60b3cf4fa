import { Registry } from "prom-client";
import { startAgent, trackWork } from "../../packages/agent/src/index";
import { LeakTracker, type LeakTrackerStatus } from "../../server/leaks/leak-tracker";
import { createCorpusEnv } from "./env";
import { reconcileOf, sleep } from "./harness";
import { corpus } from "./index";
import type { LeakScenario } from "./scenario";

export interface CorpusRunOptions {
  scenarios?: LeakScenario[];
  graceMs: number;
  sampleIntervalMs: number;
  /** Each scenario reconciles this often (or its own minPeriodMs, if longer). */
  reconcileEveryMs: number;
  /**
   * How long the scenarios keep reconciling. A scenario that has done fewer than three
   * quarters of the reconciles this allows (a starved machine) keeps going until it has,
   * for at most four times as long, so the trend test always gets its samples.
   */
  durationMs: number;
  /** Promise scenarios only run (and count) in deep mode. */
  deepMode: boolean;
  /**
   * Deep mode judges a pending promise after a full collection the process runs on its
   * own (it never forces one). A busy service runs them every few seconds; a short run
   * may see none, so the harness can stand in for them: `gc()` this often (the process
   * must run with --expose-gc; see cli.ts). Default: only the process's own.
   */
  collectEveryMs?: number;
  stackSampleRate: number;
  /** How long to keep sampling after the last reconciles (default one grace period and two samples). */
  tailMs?: number;
  /**
   * What the scenarios run under: Loopscope's tracker (default), or the agent through its
   * public API only (`startAgent`, `trackWork`, `suspects()`), as a user's service would.
   */
  via?: "tracker" | "agent";
}

export interface ScenarioOutcome {
  name: string;
  leaks: boolean;
  deep: boolean;
  reconciles: number;
  errors: string[];
  /** A suspect group named this scenario's controller with an expected type. */
  detected: boolean;
  /** Types of every suspect group that named this controller. */
  blamedTypes: string[];
  /** From the scenario's first reconcile to the first suspect naming it with an expected type. */
  firstFindingMs: number | null;
}

export interface CorpusResult {
  outcomes: ScenarioOutcome[];
  recall: number;
  falsePositiveRate: number;
  medianFirstFindingMs: number | null;
  maxFirstFindingMs: number | null;
  /** The tracker's status at the end (null when run through the agent, whose API has none). */
  status: LeakTrackerStatus | null;
}

/** What the corpus needs of a leak detector: run a unit of work, list suspects. */
interface Detector {
  track(controller: string, key: string, fn: () => Promise<void>): Promise<void>;
  suspects(): { type: string; controllers: { controller: string; count: number }[] }[];
  /** Changes whenever a new verdict may be out (the tracker's last sample time); undefined: always look. */
  sampledAt(): number | null | undefined;
  status(): LeakTrackerStatus | null;
  stop(): Promise<void>;
}

async function startDetector(options: CorpusRunOptions): Promise<Detector> {
  if (options.via === "agent") {
    const agent = await startAgent({
      graceMs: options.graceMs,
      sampleIntervalMs: options.sampleIntervalMs,
      stackSampleRate: options.stackSampleRate,
      promiseTracking: options.deepMode,
    });
    return {
      track: (controller, key, fn) => trackWork({ controller, key }, fn),
      suspects: () => agent.suspects(),
      sampledAt: () => undefined,
      status: () => null,
      stop: () => agent.stop(),
    };
  }
  const tracker = new LeakTracker({
    graceMs: options.graceMs,
    sampleIntervalMs: options.sampleIntervalMs,
    countIntervalMs: Math.min(1_000, options.sampleIntervalMs),
    stackSampleRate: options.stackSampleRate,
    deepMode: options.deepMode,
    registry: new Registry(),
  });
  await tracker.start();
  return {
    track: (controller, key, fn) => tracker.trackReconcile(reconcileOf(controller, key), fn),
    suspects: () => tracker.suspects(),
    sampledAt: () => tracker.status().lastSampleAt,
    status: () => tracker.status(),
    stop: () => tracker.stop(),
  };
}

/**
 * Runs every scenario concurrently, each as its own controller, under one started
 * tracker (or the agent, through its public API) with real timers, and scores the tracker: recall over leaking scenarios,
 * false-positive rate over look-alikes, and time to first finding.
 */
export async function runCorpus(options: CorpusRunOptions): Promise<CorpusResult> {
  const scenarios = (options.scenarios ?? corpus).filter((s) => options.deepMode || !s.deep);
  const { env, close } = await createCorpusEnv();
  const startedAt = new Map<string, number>();
  const found = new Map<string, number>();
  const blamed = new Map<string, Set<string>>();
  const byName = new Map(scenarios.map((s) => [s.name, s]));
  const counters = new Map(scenarios.map((s) => [s.name, { reconciles: 0, errors: [] as string[] }]));
  // One untracked round first (round -1), so lazy module loading and JIT warm-up do not
  // make the first tracked reconciles of every scenario seconds long.
  for (const scenario of scenarios) await scenario.reconcile(env, -1).catch(() => undefined);
  const detector = await startDetector(options);
  const collector = options.collectEveryMs === undefined ? undefined : standInCollections(options.collectEveryMs);
  try {
    const endAt = Date.now() + options.durationMs;
    const lastEndAt = Date.now() + 4 * options.durationMs;
    const loops = scenarios.map(async (scenario) => {
      const counter = counters.get(scenario.name)!;
      const period = Math.max(options.reconcileEveryMs, scenario.minPeriodMs ?? 0);
      const enough = Math.floor((0.75 * options.durationMs) / period);
      const going = () => Date.now() < endAt || (counter.reconciles < enough && Date.now() < lastEndAt);
      await sleep(Math.random() * period);
      for (let round = 0; going(); round++) {
        const began = Date.now();
        if (!startedAt.has(scenario.name)) startedAt.set(scenario.name, began);
        try {
          await detector.track(scenario.name, `default/object-${round}`, () => scenario.reconcile(env, round));
        } catch (error) {
          if (counter.errors.length < 3) counter.errors.push(error instanceof Error ? error.message : String(error));
        }
        counter.reconciles += 1;
        await sleep(Math.max(0, period - (Date.now() - began)));
      }
    });
    let lastSample: number | null | undefined = null;
    const observe = () => {
      const sampledAt = detector.sampledAt();
      if (sampledAt !== undefined && sampledAt === lastSample) return;
      lastSample = sampledAt;
      const now = Date.now();
      for (const group of detector.suspects()) {
        for (const { controller, count } of group.controllers) {
          const scenario = byName.get(controller);
          if (!scenario || count === 0) continue;
          const types = blamed.get(controller) ?? new Set<string>();
          types.add(group.type);
          blamed.set(controller, types);
          if ((scenario.expectedTypes as readonly string[]).includes(group.type) && !found.has(controller)) found.set(controller, now - (startedAt.get(controller) ?? now));
        }
      }
    };
    let running = true;
    const watcher = (async () => {
      while (running) {
        observe();
        await sleep(Math.max(10, options.sampleIntervalMs / 4));
      }
    })();
    await Promise.all(loops);
    // Keep sampling a while, so the last leaks can be judged too.
    await sleep(options.tailMs ?? options.graceMs + options.sampleIntervalMs * 2);
    running = false;
    await watcher;
    observe();

    const outcomes: ScenarioOutcome[] = scenarios.map((scenario) => ({
      name: scenario.name,
      leaks: scenario.leaks,
      deep: scenario.deep === true,
      reconciles: counters.get(scenario.name)!.reconciles,
      errors: counters.get(scenario.name)!.errors,
      detected: found.has(scenario.name),
      blamedTypes: [...(blamed.get(scenario.name) ?? [])],
      firstFindingMs: found.get(scenario.name) ?? null,
    }));
    const leaking = outcomes.filter((o) => o.leaks);
    const clean = outcomes.filter((o) => !o.leaks);
    const times = leaking
      .map((o) => o.firstFindingMs)
      .filter((t): t is number => t !== null)
      .sort((a, b) => a - b);
    return {
      outcomes,
      recall: leaking.filter((o) => o.detected).length / Math.max(1, leaking.length),
      falsePositiveRate: clean.filter((o) => o.blamedTypes.length > 0).length / Math.max(1, clean.length),
      medianFirstFindingMs: times.length > 0 ? times[Math.floor(times.length / 2)] : null,
      maxFirstFindingMs: times.length > 0 ? times[times.length - 1] : null,
      status: detector.status(),
    };
  } finally {
    clearInterval(collector);
    await detector.stop();
    await close();
  }
}

function standInCollections(everyMs: number): NodeJS.Timeout {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== "function") throw new Error("collectEveryMs needs the process to run with --expose-gc (see test/leak-corpus/cli.ts)");
  return setInterval(() => gc(), everyMs);
}
