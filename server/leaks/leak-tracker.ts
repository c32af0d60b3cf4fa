import type { Registry } from "prom-client";
import type { BackgroundService } from "../lifecycle/service-set";
import { log } from "../log";
import { metricsRegistry } from "../metrics/registry";
import type { ReconcileContext } from "../runtime/context";
import { ActiveResourceHistory, type ResourceCountPoint } from "./active-resource-history";
import { formatFrames } from "./creation-stack";
import { FullCollections } from "./full-collections";
import { type GroupSnapshot, GroupSnapshots } from "./group-snapshots";
import { type LeakDiffEntry, type LeakGroupDetail, type LeakGroupSummary, suspectReason, summarizeGroup } from "./group-summary";
import { installInterception } from "./interception/install";
import { type LeakGroup, LeakGroups, LeakingControllers } from "./leak-groups";
import { LeakMetrics, type SuspectCount } from "./leak-metrics";
import { growthWindowsFor, leakTrend, type SustainedGrowthOptions } from "./leak-trend";
import { observeOverdue } from "./overdue-resources";
import { PromiseTracking } from "./promise-tracking";
import { reconcileSettled, runReconcile } from "./reconcile-settlement";
import { ResourceRecorder } from "./resource-recorder";
import { ResourceTable } from "./resource-table";
import { TRACKER_ONLY_TYPES } from "./resource-types";
import { SourceMapResolver } from "./source-maps";

export type { LeakDiffEntry, LeakGroupDetail, LeakGroupSummary } from "./group-summary";

// The tracker's own timers must not go through its interception.
const realSetInterval = globalThis.setInterval;
const realClearInterval = globalThis.clearInterval;
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;

export interface LeakTrackerOptions {
  /** How long a resource may outlive its settled reconcile before it counts as leaked (default 30 s). */
  graceMs?: number;
  /**
   * Share of reconciles whose resources get a creation stack (default 0.1); promises in
   * deep mode are sampled at a tenth of it. Full capture and auto-capture override it.
   */
  stackSampleRate?: number;
  /** Most resources tracked at once (default 50,000); the rest are counted as dropped. */
  maxTracked?: number;
  /** Most of those created outside any reconcile (default a tenth of maxTracked). */
  maxUnattributed?: number;
  /** Active-resource counting period (default 1 s). */
  countIntervalMs?: number;
  /** Suspect sampling period (default 5 s). */
  sampleIntervalMs?: number;
  /**
   * The trend test's windows and recency span (ms); default growthWindowsFor(sampleIntervalMs):
   * 1, 5 and 15 minutes and 1 minute at the default 5 s sampling.
   */
  growth?: Pick<SustainedGrowthOptions, "windowsMs" | "recentMs">;
  /** Diff snapshot period (default 1 min) and how many are kept (default 1440). */
  snapshotIntervalMs?: number;
  snapshotCapacity?: number;
  /** Count history kept per group (default 720 samples). */
  groupHistoryCapacity?: number;
  maxGroups?: number;
  /** Only frames under this directory are the project's own (default: the working directory). */
  projectRoot?: string;
  /** Where the metrics go (default the shared metricsRegistry()); null for none. */
  registry?: Registry | null;
  /** Start in deep mode (promises tracked through V8's promise hooks); default false. */
  deepMode?: boolean;
  /**
   * Capture every stack of a controller that has a suspect without a sampled stack,
   * until a sampled suspect of that type appears (default true): leaking controllers
   * get their stacks, the rest keep the sampled cost.
   */
  autoCapture?: boolean;
  /** The clock, for tests. Settlement times are taken with Date.now(). */
  now?: () => number;
}

export interface LeakTrackerStatus {
  installed: boolean;
  running: boolean;
  deepMode: boolean;
  /** Deep mode: full collections the process ran since promise tracking was switched on (pending promises are judged after one). */
  fullCollections: number | null;
  fullCaptureUntil: number | null;
  stackSampleRate: number;
  effectiveStackSampleRate: number;
  /** Controllers whose every stack is captured because they have a suspect without one. */
  autoCaptureControllers: string[];
  graceMs: number;
  sampleIntervalMs: number;
  /** The trend test's windows (ms) and recency span. */
  growthWindowsMs: number[];
  growthRecentMs: number;
  tracked: number;
  unattributedTracked: number;
  maxTracked: number;
  dropped: number;
  droppedByController: { controller: string; dropped: number }[];
  groups: number;
  suspects: number;
  /** Controllers whose settled reconciles still hold live resources past the grace period. */
  leakingControllers: { controller: string; leakingReconciles: number; growing: boolean }[];
  lastSampleAt: number | null;
}


type Holder = { __loopscopeInstalledLeakTracker?: LeakTracker };
/**
 * Async-handle leak tracker: Node's goroutine-leak detector, attributed to the
 * reconcile that leaked. Guarantees:
 * - always-on mode uses plain wrappers (no async_hooks) around timers, sockets,
 *   servers, child processes and file opens, and records only what a reconcile
 *   creates (plus a capped sample of the rest, as "unattributed");
 * - a resource is held against its reconcile only when still alive `graceMs` after
 *   that reconcile settled, and a group only becomes a suspect while the trend test
 *   (`sustainedGrowth`, the one shared with Go goroutine groups and the alerts) says
 *   it grows;
 * - memory is bounded (table cap, group cap, fixed histories); over-cap resources are
 *   counted, never stored;
 * - `stop()` restores every patched function.
 * One tracker can be installed per process.
 */
export class LeakTracker implements BackgroundService {
  readonly name = "leaks";
  readonly graceMs: number;
  readonly sampleIntervalMs: number;
  readonly countIntervalMs: number;
  readonly growth: Pick<SustainedGrowthOptions, "windowsMs" | "recentMs">;
  readonly baseStackSampleRate: number;

  private readonly table: ResourceTable;
  private readonly groups: LeakGroups;
  private readonly leakingControllers: LeakingControllers;
  private readonly snapshots: GroupSnapshots;
  private readonly history = new ActiveResourceHistory();
  private readonly promises: PromiseTracking;
  private readonly recorder: ResourceRecorder;
  private readonly projectRoot: string;
  private readonly sourceMaps: SourceMapResolver;
  private readonly registry: Registry | null;
  private readonly now: () => number;
  private readonly autoCapture: boolean;
  private metrics: LeakMetrics | undefined;
  private uninstallInterception: (() => void) | undefined;
  private countTimer: NodeJS.Timeout | undefined;
  private sampleTimer: NodeJS.Timeout | undefined;
  private fullCaptureTimer: NodeJS.Timeout | undefined;
  private deepModeWanted: boolean;
  private fullCaptureUntil: number | undefined;
  private lastSampleAt: number | undefined;
  private latestSnapshot: GroupSnapshot | undefined;
  private tickFailureLogged = false;
  /** Deep mode: pending promises count once a full collection (the process's own, never forced) could have freed them. */
  private readonly collections = new FullCollections();

  constructor(options: LeakTrackerOptions = {}) {
    this.graceMs = options.graceMs ?? 30_000;
    this.baseStackSampleRate = clampRate(options.stackSampleRate ?? 0.1);
    const maxTracked = options.maxTracked ?? 50_000;
    this.table = new ResourceTable(maxTracked, options.maxUnattributed ?? Math.max(100, Math.floor(maxTracked / 10)));
    this.countIntervalMs = options.countIntervalMs ?? 1_000;
    this.sampleIntervalMs = options.sampleIntervalMs ?? 5_000;
    this.growth = options.growth ?? growthWindowsFor(this.sampleIntervalMs);
    this.groups = new LeakGroups({
      growth: this.growth,
      historyCapacity: options.groupHistoryCapacity ?? 720,
      maxGroups: options.maxGroups ?? 1_000,
      retentionMs: Math.max(600_000, this.sampleIntervalMs * 10),
    });
    this.leakingControllers = new LeakingControllers(this.growth);
    this.snapshots = new GroupSnapshots(options.snapshotCapacity ?? 1_440, options.snapshotIntervalMs ?? 60_000);
    this.projectRoot = options.projectRoot ?? process.cwd();
    this.sourceMaps = new SourceMapResolver(this.projectRoot);
    this.registry = options.registry === undefined ? metricsRegistry() : options.registry;
    this.now = options.now ?? Date.now;
    this.deepModeWanted = options.deepMode ?? false;
    this.autoCapture = options.autoCapture ?? true;
    this.recorder = new ResourceRecorder(this.table, this.graceMs, this.now, this.baseStackSampleRate);
    this.promises = new PromiseTracking(this.recorder.promiseSink);
  }

  // ── lifecycle ────────────────────────────────────────────────────────────────

  get installed(): boolean {
    return this.uninstallInterception !== undefined;
  }

  /** Starts intercepting (and deep mode, if wanted). Throws if another tracker is installed. */
  install(): void {
    if (this.uninstallInterception) return;
    const holder = globalThis as Holder;
    const other = holder.__loopscopeInstalledLeakTracker;
    if (other && other !== this) {
      throw new Error("Another LeakTracker is already installed in this process; stop or uninstall it first (only one can intercept timers and sockets).");
    }
    holder.__loopscopeInstalledLeakTracker = this;
    checkTimerLiveness();
    this.uninstallInterception = installInterception(this.recorder.sink);
    if (this.deepModeWanted) this.enablePromises();
  }

  /** Restores every patched function, leaves deep mode, and forgets tracked resources. */
  uninstall(): void {
    this.promises.disable();
    this.collections.stop();
    this.uninstallInterception?.();
    this.uninstallInterception = undefined;
    const holder = globalThis as Holder;
    if (holder.__loopscopeInstalledLeakTracker === this) holder.__loopscopeInstalledLeakTracker = undefined;
    this.table.clear();
    this.recorder.clearYoung();
  }

  /** Installs, registers the metrics, and samples on its own timers (unref'd). */
  async start(): Promise<void> {
    this.install();
    if (this.registry && !this.metrics) this.metrics = new LeakMetrics(this.registry);
    this.countResources();
    this.countTimer ??= realSetInterval(() => this.safely(() => this.countResources()), this.countIntervalMs).unref();
    this.sampleTimer ??= realSetInterval(() => this.safely(() => this.sample()), this.sampleIntervalMs).unref();
  }

  async stop(): Promise<void> {
    realClearInterval(this.countTimer);
    realClearInterval(this.sampleTimer);
    realClearTimeout(this.fullCaptureTimer);
    this.countTimer = this.sampleTimer = this.fullCaptureTimer = undefined;
    this.metrics?.unregister();
    this.metrics = undefined;
    this.uninstall();
  }

  // ── reconcile settlement (the controller's side) ─────────────────────────────

  /** Runs `fn` as reconcile `ctx` and records when it settles; use instead of reconcileContext.run. */
  trackReconcile<T>(ctx: ReconcileContext, fn: () => Promise<T> | T): Promise<T> {
    return runReconcile(ctx, fn);
  }

  /** For controllers that run the context themselves: call when the reconcile settles. */
  reconcileSettled(ctx: ReconcileContext): void {
    reconcileSettled(ctx);
  }

  // ── operator switches ────────────────────────────────────────────────────────

  get deepMode(): boolean {
    return this.deepModeWanted;
  }

  /** Switches promise tracking (V8's promise hooks) on or off at run time. */
  setDeepMode(enabled: boolean): void {
    this.deepModeWanted = enabled;
    if (!this.installed) return;
    if (enabled) this.enablePromises();
    else {
      this.promises.disable();
      this.collections.stop();
      this.recorder.clearYoungPromises();
      this.table.deleteWhere((r) => r.type === "PROMISE");
    }
    log.info({ deepMode: enabled }, "leak tracker deep mode switched");
  }

  /** Captures every creation stack for `minutes` (0 ends it now); returns when it ends (null if off). */
  setFullCapture(minutes: number): number | null {
    realClearTimeout(this.fullCaptureTimer);
    this.fullCaptureTimer = undefined;
    if (!(minutes > 0)) {
      this.fullCaptureUntil = undefined;
      this.recorder.captureRate = this.baseStackSampleRate;
      return null;
    }
    const durationMs = Math.round(minutes * 60_000);
    this.fullCaptureUntil = this.now() + durationMs;
    this.recorder.captureRate = 1;
    this.fullCaptureTimer = realSetTimeout(() => this.setFullCapture(0), durationMs).unref();
    log.info({ minutes }, "leak tracker full stack capture on");
    return this.fullCaptureUntil;
  }

  // ── sampling ─────────────────────────────────────────────────────────────────

  /**
   * Counts live resources by type (process.getActiveResourcesInfo() plus the
   * tracker's own types), records the point, updates the gauge, and drops tracked
   * resources that are gone. Runs every second when started.
   */
  countResources(): ResourceCountPoint {
    const now = this.now();
    if (this.fullCaptureUntil !== undefined && now >= this.fullCaptureUntil) this.setFullCapture(0);
    const trackerCounts = this.recorder.sweep(now);
    const counts: Record<string, number> = {};
    for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
    for (const type of TRACKER_ONLY_TYPES) if (trackerCounts[type]) counts[type] = trackerCounts[type];
    const point = { t: now, counts };
    this.history.record(point);
    this.metrics?.setActiveResources(counts);
    this.metrics?.setTracking(this.table.size, this.table.dropped);
    return point;
  }

  /**
   * One suspect sample: groups the resources still alive a grace period after their
   * reconcile settled (or after creation, for unattributed ones) by type and creation
   * stack, updates each group's growth run, the suspects gauge and the diff snapshots.
   */
  sample(): void {
    const now = this.now();
    this.recorder.flushYoung();
    const { observations, leakingReconciles } = observeOverdue(this.table, now, {
      graceMs: this.graceMs,
      projectRoot: this.projectRoot,
      sourceMaps: this.sourceMaps,
      collections: this.collections,
    });
    this.groups.observe(now, observations);
    this.leakingControllers.observe(now, leakingReconciles);
    const counts = new Map<string, { descriptor: LeakGroup["descriptor"]; count: number }>();
    const suspects = new Map<string, SuspectCount>();
    const leaked = new Map<string, SuspectCount>();
    for (const group of this.groups.all()) {
      if (group.count > 0) counts.set(group.descriptor.key, { descriptor: group.descriptor, count: group.count });
      addByController(leaked, group);
      if (this.reasonFor(group)) addByController(suspects, group);
    }
    this.updateHotControllers();
    this.latestSnapshot = { t: now, counts };
    this.snapshots.offer(this.latestSnapshot);
    this.metrics?.setSuspects([...suspects.values()]);
    this.metrics?.setLeaked([...leaked.values()]);
    this.lastSampleAt = now;
  }

  // ── queries ──────────────────────────────────────────────────────────────────

  /** Current suspect groups, largest first. */
  suspects(): LeakGroupSummary[] {
    return this.summaries((g) => this.reasonFor(g) !== null);
  }

  /** Groups of resources created outside any reconcile (never blamed on a controller). */
  unattributed(): LeakGroupSummary[] {
    return this.summaries((g) => !g.descriptor.attributed && g.count > 0);
  }

  /** Every group with live members, suspect or not. */
  groupList(): LeakGroupSummary[] {
    return this.summaries((g) => g.count > 0);
  }

  /** One group with its count history and trend test; undefined if unknown. */
  group(id: string): LeakGroupDetail | undefined {
    const group = this.groups.get(id);
    if (!group) return undefined;
    const history = group.history.toArray();
    return { ...summarizeGroup(group, this.reasonFor(group)), history, trend: leakTrend(history.map((p) => ({ t: p.t, value: p.count }))) };
  }

  /** What grew between `from` and `to` (ms since epoch), the pprof `-base` view. */
  diff(from: number, to: number): { from: number; to: number; grown: LeakDiffEntry[] } {
    const result = this.snapshots.diff(from, to, this.latestSnapshot);
    return {
      from: result.from,
      to: result.to,
      grown: result.grown.map(({ descriptor, before, after, delta }) => {
        const group = this.groups.get(descriptor.id);
        return {
          group: group ? summarizeGroup(group, this.reasonFor(group)) : null,
          id: descriptor.id,
          type: descriptor.type,
          attributed: descriptor.attributed,
          topFrame: formatFrames(descriptor.frames)[0] ?? null,
          before,
          after,
          delta,
        };
      }),
    };
  }

  /** The registry the tracker's metrics are on (null when it has none). */
  metricRegistry(): Registry | null {
    return this.registry;
  }

  /** Active-resource counts since `since` (ms since epoch), oldest first. */
  activeResources(since = 0): ResourceCountPoint[] {
    return this.history.query(since);
  }

  status(): LeakTrackerStatus {
    this.recorder.flushYoung();
    const groups = this.groups.all();
    return {
      installed: this.installed,
      running: this.countTimer !== undefined,
      deepMode: this.deepModeWanted,
      fullCollections: this.collections.watching ? this.collections.count : null,
      fullCaptureUntil: this.fullCaptureUntil ?? null,
      stackSampleRate: this.baseStackSampleRate,
      effectiveStackSampleRate: this.recorder.captureRate,
      autoCaptureControllers: [...this.recorder.hotControllers],
      graceMs: this.graceMs,
      sampleIntervalMs: this.sampleIntervalMs,
      growthWindowsMs: [...this.growth.windowsMs],
      growthRecentMs: this.growth.recentMs,
      tracked: this.table.size,
      unattributedTracked: this.table.unattributed,
      maxTracked: this.table.capacity,
      dropped: this.table.dropped,
      droppedByController: [...this.table.droppedByController()].map(([controller, dropped]) => ({ controller, dropped })),
      groups: groups.length,
      suspects: groups.filter((g) => this.reasonFor(g) !== null).length,
      leakingControllers: this.leakingControllers.list(),
      lastSampleAt: this.lastSampleAt ?? null,
    };
  }

  // ── internals ────────────────────────────────────────────────────────────────

  /**
   * Auto-capture: controllers with a suspect whose stack was not sampled, and no
   * sampled suspect of the same type yet, get every stack from now on.
   */
  private updateHotControllers(): void {
    const unsampled = new Set<string>();
    const sampled = new Set<string>();
    for (const group of this.groups.all()) {
      if (!this.reasonFor(group)) continue;
      for (const [controller, count] of group.controllers) {
        if (count > 0) (group.descriptor.stackSampled ? sampled : unsampled).add(`${controller}\u0000${group.descriptor.type}`);
      }
    }
    const hot = new Set<string>();
    if (this.autoCapture) for (const id of unsampled) if (!sampled.has(id)) hot.add(id.slice(0, id.indexOf("\u0000")));
    this.recorder.hotControllers = hot;
  }

  private enablePromises(): void {
    this.collections.start();
    this.promises.enable();
  }

  private reasonFor(group: LeakGroup): ReturnType<typeof suspectReason> {
    return suspectReason(group, this.leakingControllers);
  }

  private summaries(include: (group: LeakGroup) => boolean): LeakGroupSummary[] {
    return this.groups
      .all()
      .filter(include)
      .map((g) => summarizeGroup(g, this.reasonFor(g)))
      .sort((a, b) => b.count - a.count);
  }

  private safely(task: () => void): void {
    try {
      task();
    } catch (error) {
      if (!this.tickFailureLogged) log.error({ err: error }, "leak tracker sampling failed");
      this.tickFailureLogged = true;
    }
  }
}

/** Adds `group`'s live members to `rows`, per controller and type. */
function addByController(rows: Map<string, SuspectCount>, group: LeakGroup): void {
  for (const [controller, count] of group.controllers) {
    if (count === 0) continue;
    const id = `${controller}\u0000${group.descriptor.type}`;
    const row = rows.get(id) ?? { controller, type: group.descriptor.type, count: 0 };
    row.count += count;
    rows.set(id, row);
  }
}

function clampRate(rate: number): number {
  return Number.isFinite(rate) ? Math.min(1, Math.max(0, rate)) : 0;
}

/** Liveness of timers reads Node's `_destroyed` flag; warn once if this Node lacks it. */
let timerCheckDone = false;
function checkTimerLiveness(): void {
  if (timerCheckDone) return;
  timerCheckDone = true;
  const probe = realSetTimeout(() => undefined, 1_000_000) as unknown as Record<string, unknown>;
  const before = probe._destroyed;
  realClearTimeout(probe as unknown as NodeJS.Timeout);
  if (before !== false || probe._destroyed !== true) {
    log.warn("this Node.js does not mark cleared timers as destroyed; leaked-timer detection will over-report");
  }
}

