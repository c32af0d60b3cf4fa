import { type Logger, log as rootLog } from "../log";
import { type FaultInjectingSource, type FaultReport, type FaultWindow, type ObjectEvent, type ObjectEventSink, systemClock, type TimerHandle, type WatchHealth } from "../runtime";
import { FaultPlan, type FaultTiming, type PlannedFault, parseSchedule } from "./fault-schedule";
import { DEMO_KINDS, type DemoKind, DemoInventory } from "./inventory";
import { type LeakCaps, LeakInjector } from "./leaks";
import { LoopbackServer } from "./loopback-server";
import { SeededRandom } from "./random";

/** Background churn, in events per demo second. */
export interface ChurnRates {
  podStatusChanges: number;
  podReplacements: number;
  deploymentChanges: number;
  configMapChanges: number;
  /** Informer resync period (demo ms); every object of every kind gets a resync event. */
  resyncEveryMs: number;
}

export const DEFAULT_CHURN: ChurnRates = {
  podStatusChanges: 3,
  podReplacements: 0.1,
  deploymentChanges: 0.5,
  configMapChanges: 0.4,
  resyncEveryMs: 300_000,
};

/** How hard the source-side faults push. */
export interface FaultIntensity {
  /** Objects created by a burst, and re-updated every `burstEveryMs`. */
  burstSize: number;
  burstEveryMs: number;
  /** Updates per demo second to the hot key. */
  hotKeyRate: number;
}

export const DEFAULT_INTENSITY: FaultIntensity = { burstSize: 2_000, burstEveryMs: 15_000, hotKeyRate: 25 };
/** Objects in a "burst-200" fault (a realistic burst: one namespace of a rollout). */
export const MILD_BURST_SIZE = 200;

const isBurst = (fault: string) => fault === "burst" || fault === "burst-200";

export interface DemoClusterOptions {
  /** Seed for objects, churn, faults and reconcile behaviour (default 42). */
  seed?: number;
  /** LOOPSCOPE_DEMO_SCHEDULE: "all" (default), "none", a fault, or a comma list (fault@controller pins). */
  schedule?: string;
  /** Demo seconds per real second (default 1); 20 runs a 90 s fault in 4.5 s. */
  timeScale?: number;
  kinds?: readonly DemoKind[];
  timing?: Partial<FaultTiming>;
  churn?: Partial<ChurnRates>;
  intensity?: Partial<FaultIntensity>;
  leakCaps?: Partial<LeakCaps>;
  /** Real milliseconds between simulation steps (default 50). */
  tickMs?: number;
  log?: Logger;
}

/** A fault window that is in progress, as the demo reconcilers see it. */
export interface ActiveFault {
  readonly window: PlannedFault;
  /** The targeted key: the hot key from the start, the stuck key once claimed. */
  key: string | null;
  /** Resolves when the window ends or the demo stops. */
  readonly ended: Promise<void>;
  /** For `stuck`: whether a reconcile has been captured already. */
  stuckClaimed: boolean;
  /** For `burst`: the namespace of the burst objects. */
  burstNamespace: string | null;
  nextBurstAt: number;
  burstDeleted: boolean;
  nextHotAt: number;
}

interface ChurnProcess {
  rate: () => number;
  next: number;
  emit: () => ObjectEvent[];
}

/**
 * The built-in demo cluster: an EventSource of simulated Kubernetes objects
 * (pods, deployments, config maps) with realistic churn, that injects one fault at a
 * time on a seeded schedule (bursts, slow and failing reconciles, a hot key, a stuck
 * reconcile, leaked timers, sockets and promises) and exposes that schedule as ground
 * truth. Source-side faults (burst, hot key) are events it emits; reconcile-side
 * faults are read by the demo reconcilers through `faultFor`.
 */
export class DemoCluster implements FaultInjectingSource {
  readonly kind = "demo" as const;
  readonly seed: number;
  readonly timeScale: number;
  readonly scheduleText: string;
  readonly plan: FaultPlan;
  readonly inventory: DemoInventory;
  readonly leaks: LeakInjector;
  readonly loopback = new LoopbackServer();
  readonly kinds: readonly DemoKind[];
  private readonly churn: ChurnRates;
  private readonly intensity: FaultIntensity;
  private readonly tickMs: number;
  private readonly log: Logger;
  private readonly churnRandom: SeededRandom;
  private sink: ObjectEventSink | undefined;
  private timer: TimerHandle | undefined;
  private startedAtMono = 0;
  private startedAtWall = Date.now();
  private stoppedAtDemoMs: number | null = null;
  private current: ActiveFault | null = null;
  private endCurrent: (() => void) | null = null;
  private readonly finished = new Set<number>();
  private readonly faultKeys = new Map<number, string>();
  private readonly lastEventAt = new Map<string, number>();
  private processes: ChurnProcess[] = [];
  private nextResyncAt = 0;
  private running = false;

  constructor(options: DemoClusterOptions = {}) {
    this.seed = options.seed ?? 42;
    this.timeScale = options.timeScale ?? 1;
    if (!(this.timeScale > 0)) throw new RangeError("timeScale must be > 0");
    this.kinds = options.kinds ?? DEMO_KINDS;
    const controllers = this.kinds.map((k) => k.controller);
    const spec = parseSchedule(options.schedule ?? "all", controllers);
    this.scheduleText = spec.text;
    this.plan = new FaultPlan(spec, controllers, this.seed, options.timing);
    this.churn = { ...DEFAULT_CHURN, ...options.churn };
    this.intensity = { ...DEFAULT_INTENSITY, ...options.intensity };
    this.tickMs = options.tickMs ?? 50;
    this.log = (options.log ?? rootLog).child({ component: "demo-cluster" });
    this.churnRandom = SeededRandom.derive(this.seed, "churn");
    this.inventory = new DemoInventory(SeededRandom.derive(this.seed, "objects"), this.kinds);
    this.leaks = new LeakInjector(this.loopback, options.leakCaps);
  }

  async start(sink: ObjectEventSink): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.sink = sink;
    await this.loopback.start();
    this.startedAtMono = systemClock.now();
    this.startedAtWall = Date.now();
    this.stoppedAtDemoMs = null;
    const r = this.churnRandom;
    const c = this.churn;
    const has = (controller: string) => this.kinds.some((k) => k.controller === controller);
    const poisson = (rate: number, emit: () => ObjectEvent[]): ChurnProcess => ({ rate: () => rate, next: rate > 0 ? r.exponential(1000 / rate) : Number.POSITIVE_INFINITY, emit });
    const one = (event: ObjectEvent | undefined) => (event ? [event] : []);
    this.processes = [
      ...(has("pods") ? [poisson(c.podStatusChanges, () => one(this.inventory.podStatusChange())), poisson(c.podReplacements, () => this.inventory.podReplacement())] : []),
      ...(has("deployments") ? [poisson(c.deploymentChanges, () => one(this.inventory.deploymentChange()))] : []),
      ...(has("configmaps") ? [poisson(c.configMapChanges, () => one(this.inventory.configMapChange()))] : []),
    ];
    this.nextResyncAt = c.resyncEveryMs;
    this.emit(this.inventory.count("pods") + this.inventory.count("deployments") + this.inventory.count("configmaps") === 0 ? this.inventory.populate() : this.relist());
    this.log.info({ seed: this.seed, schedule: this.scheduleText, timeScale: this.timeScale }, "demo cluster started");
    this.step();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stoppedAtDemoMs = this.demoNow();
    if (this.timer !== undefined) systemClock.clearTimer(this.timer);
    this.timer = undefined;
    this.finishFault();
    this.leaks.release();
    this.sink = undefined;
    await this.loopback.close();
    this.log.info("demo cluster stopped");
  }

  /** Demo milliseconds since start (frozen after stop). */
  demoNow(): number {
    if (this.stoppedAtDemoMs !== null || !this.running) return this.stoppedAtDemoMs ?? 0;
    return (systemClock.now() - this.startedAtMono) * this.timeScale;
  }

  /** The fault acting on `controller` right now, if any. */
  faultFor(controller: string): ActiveFault | null {
    return this.current && this.current.window.controller === controller ? this.current : null;
  }

  watches(): WatchHealth[] {
    return this.kinds.map((kind) => ({
      kind: kind.kind,
      path: kind.path,
      connected: this.running,
      lastEventAt: this.lastEventAt.get(kind.controller) ?? null,
      lastConnectAt: this.running || this.stoppedAtDemoMs !== null ? this.startedAtWall : null,
      restarts: 0,
      lastError: null,
      objects: this.inventory.count(kind.controller),
      stalled: false,
    }));
  }

  faultReport(): FaultReport {
    const now = this.demoNow();
    const planned = this.plan.windowsUntil(now);
    const windows = planned.slice(Math.max(0, planned.length - 50)).map((w) => this.describe(w, now));
    const current = this.current ? this.describe(this.current.window, now) : null;
    return { schedule: this.scheduleText, seed: this.seed, timeScale: this.timeScale, current, windows };
  }

  /** Real milliseconds for a span of demo milliseconds. */
  toRealMs(demoMs: number): number {
    return demoMs / this.timeScale;
  }

  private describe(window: PlannedFault, now: number): FaultWindow {
    const ended = this.finished.has(window.index) || (window.endMs !== null && window.endMs <= now);
    const state = this.current?.window === window ? "active" : ended ? "past" : "upcoming";
    const end = state === "past" && this.stoppedAtDemoMs !== null && (window.endMs === null || window.endMs > this.stoppedAtDemoMs) ? this.stoppedAtDemoMs : window.endMs;
    return {
      id: window.index,
      fault: window.fault,
      controller: window.controller,
      key: (this.current?.window === window ? this.current.key : this.faultKeys.get(window.index)) ?? null,
      startAt: Math.round(this.startedAtWall + window.startMs / this.timeScale),
      endAt: end === null ? null : Math.round(this.startedAtWall + end / this.timeScale),
      state,
    };
  }

  private step(): void {
    if (!this.running) return;
    const now = this.demoNow();
    this.updateFault(now);
    const events: ObjectEvent[] = [];
    for (const churn of this.processes) {
      let budget = 10_000;
      while (churn.next <= now && budget-- > 0) {
        events.push(...churn.emit());
        churn.next += this.churnRandom.exponential(1000 / churn.rate());
      }
      if (churn.next <= now) churn.next = now;
    }
    if (now >= this.nextResyncAt) {
      for (const kind of this.kinds) events.push(...this.inventory.resync(kind.controller));
      this.nextResyncAt += this.churn.resyncEveryMs;
    }
    const fault = this.current;
    if (fault) events.push(...this.faultEvents(fault, now));
    this.emit(events);
    this.timer = systemClock.setTimer(() => this.step(), this.tickMs);
  }

  private faultEvents(fault: ActiveFault, now: number): ObjectEvent[] {
    const events: ObjectEvent[] = [];
    const controller = fault.window.controller;
    if (isBurst(fault.window.fault) && fault.burstNamespace && !fault.burstDeleted) {
      const end = fault.window.endMs;
      if (end !== null && now >= end - this.intensity.burstEveryMs) {
        fault.burstDeleted = true;
        events.push(...this.inventory.deleteNamespace(controller, fault.burstNamespace));
      } else if (now >= fault.nextBurstAt) {
        fault.nextBurstAt += this.intensity.burstEveryMs;
        for (const key of this.inventory.keysIn(controller, fault.burstNamespace)) {
          const event = this.inventory.touch(controller, key);
          if (event) events.push(event);
        }
      }
    }
    if (fault.window.fault === "hot-key" && fault.key) {
      let budget = 1_000;
      while (fault.nextHotAt <= now && budget-- > 0) {
        const event = this.inventory.touch(controller, fault.key);
        if (event) events.push(event);
        fault.nextHotAt += 1000 / this.intensity.hotKeyRate;
      }
      if (fault.nextHotAt <= now) fault.nextHotAt = now;
    }
    return events;
  }

  private updateFault(now: number): void {
    const window = this.plan.activeAt(now);
    if (this.current && this.current.window !== window) this.finishFault();
    if (window && !this.current && !this.finished.has(window.index)) this.beginFault(window, now);
  }

  private beginFault(window: PlannedFault, now: number): void {
    let end: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => {
      end = resolve;
    });
    const fault: ActiveFault = {
      window,
      key: null,
      ended,
      stuckClaimed: false,
      burstNamespace: null,
      nextBurstAt: now + this.intensity.burstEveryMs,
      burstDeleted: false,
      nextHotAt: now,
    };
    if (window.fault === "hot-key") fault.key = this.inventory.randomKey(window.controller, window.pick) ?? null;
    this.current = fault;
    this.endCurrent = end;
    if (isBurst(window.fault)) {
      fault.burstNamespace = `burst-${window.index}`;
      this.emit(this.inventory.createMany(window.controller, fault.burstNamespace, window.fault === "burst" ? this.intensity.burstSize : MILD_BURST_SIZE));
    }
    this.log.info({ fault: window.fault, controller: window.controller, key: fault.key, id: window.index }, "demo fault started");
  }

  private finishFault(): void {
    const fault = this.current;
    if (!fault) return;
    this.current = null;
    this.finished.add(fault.window.index);
    if (fault.key) this.faultKeys.set(fault.window.index, fault.key);
    this.endCurrent?.();
    this.endCurrent = null;
    if (fault.window.fault === "leak-timer") this.leaks.release("timer");
    if (fault.window.fault === "leak-socket") this.leaks.release("socket");
    if (fault.window.fault === "leak-promise") this.leaks.release("promise");
    if (fault.burstNamespace && !fault.burstDeleted) {
      fault.burstDeleted = true;
      const events = this.inventory.deleteNamespace(fault.window.controller, fault.burstNamespace);
      if (this.running) this.emit(events);
    }
    this.log.info({ fault: fault.window.fault, controller: fault.window.controller, id: fault.window.index }, "demo fault ended");
  }

  private relist(): ObjectEvent[] {
    return this.kinds.flatMap((kind) => [...this.inventory.objects(kind.controller)].map(([key, object]): ObjectEvent => ({ controller: kind.controller, type: "added", key, object })));
  }

  private emit(events: ObjectEvent[]): void {
    const sink = this.sink;
    if (!sink || events.length === 0) return;
    const now = Date.now();
    for (const event of events) {
      this.lastEventAt.set(event.controller, now);
      sink(event);
    }
  }
}
