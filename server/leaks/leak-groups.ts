import { createHash } from "node:crypto";
import type { StackFrame } from "./creation-stack";
import { growthWindowsFor, type SustainedGrowthOptions, sustainedGrowth, theilSenSlope, type TrendPoint } from "./leak-trend";
import type { TrackedType } from "./resource-types";
import { Ring } from "./ring";

/** What identifies a group: like a pprof goroutine profile entry, type plus creation stack. */
export interface GroupDescriptor {
  /** Short stable id (hash of the key), for URLs and the API. */
  readonly id: string;
  readonly key: string;
  readonly type: TrackedType;
  /** False for resources created outside any reconcile: never blamed on a controller. */
  readonly attributed: boolean;
  /** The representative creation stack (project frames only); empty when not sampled. */
  readonly frames: readonly StackFrame[];
  /** False when no member's creation stack was captured (sampling). */
  readonly stackSampled: boolean;
}

/** One sample's view of a group: the overdue live resources that belong to it. */
export interface GroupObservation {
  descriptor: Omit<GroupDescriptor, "id">;
  count: number;
  byController: Map<string, number>;
  keys: Set<string>;
}

export interface GroupPoint {
  t: number;
  count: number;
}

export interface LeakGroupsOptions {
  /** The trend test's windows (default: growthWindowsFor a 5 s sampling period). */
  growth?: Pick<SustainedGrowthOptions, "windowsMs" | "recentMs">;
  /** Windows for groups of one type observed less often than every sample (e.g. PROMISE in deep mode). */
  growthByType?: Partial<Record<TrackedType, Pick<SustainedGrowthOptions, "windowsMs" | "recentMs">>>;
  /** Count history kept per group (default 720: an hour at the default 5 s sampling). */
  historyCapacity?: number;
  /** Groups kept at most; observations of further new groups are counted and skipped (default 1000). */
  maxGroups?: number;
  /** An empty group is forgotten after this long (default ten minutes). */
  retentionMs?: number;
}

const MAX_SAMPLE_KEYS = 10;
const MAX_CONTROLLERS = 50;
/** Points a growth run keeps at most (the longest window at the sampling period, normally far fewer). */
const MAX_RUN_POINTS = 2_000;
/** Points of history the growth rate is estimated over. */
const RATE_WINDOW = 60;

export function groupId(key: string): string {
  return createHash("sha1").update(key).digest("hex").slice(0, 12);
}

/**
 * The growth rule for one count series: the shared trend test (`sustainedGrowth`) over
 * the series' recent history. Normal churn goes up and down, a warmed-up pool stays
 * flat, a stopped leak stays flat: none of them is growing.
 */
export class GrowthRun {
  count = 0;
  /** Points within the longest window (and at most MAX_RUN_POINTS), oldest first. */
  private points: TrendPoint[] = [];
  private verdict = false;
  private readonly spanMs: number;

  constructor(readonly growth: Pick<SustainedGrowthOptions, "windowsMs" | "recentMs">) {
    this.spanMs = Math.max(...growth.windowsMs, growth.recentMs);
  }

  update(t: number, count: number): void {
    this.count = count;
    this.points.push({ t, value: count });
    let drop = 0;
    // Keep one point at or before the span's start: the recency check compares with it.
    while (drop < this.points.length - 1 && (this.points[drop + 1].t <= t - this.spanMs || this.points.length - drop > MAX_RUN_POINTS)) drop += 1;
    if (drop > 0) this.points = this.points.slice(drop);
    this.verdict = count > 0 && sustainedGrowth(this.points, t, this.growth).growing;
  }

  get growing(): boolean {
    return this.verdict;
  }
}

/** A group of leaked resources (same type, same creation stack) and its history. */
export class LeakGroup {
  maxCount = 0;
  lastSeen: number;
  /** When the group last started growing; undefined while it is not. */
  growingSince: number | undefined;
  readonly history: Ring<GroupPoint>;
  /** Latest count per controller (controllers seen before stay listed with 0). */
  readonly controllers = new Map<string, number>();
  /** Most recent distinct keys, newest first. */
  sampleKeys: string[] = [];
  private readonly run: GrowthRun;

  constructor(
    readonly descriptor: GroupDescriptor,
    readonly firstSeen: number,
    historyCapacity: number,
    growth: Pick<SustainedGrowthOptions, "windowsMs" | "recentMs">,
  ) {
    this.lastSeen = firstSeen;
    this.history = new Ring(historyCapacity);
    this.run = new GrowthRun(growth);
  }

  /** Live overdue members at the last sample. */
  get count(): number {
    return this.run.count;
  }

  /** In sustained growth by the trend test, and still has members. */
  get growing(): boolean {
    return this.run.growing;
  }

  /** Growth per minute: Theil–Sen slope over the recent history. */
  growthPerMinute(): number {
    const points = this.history.toArray().slice(-RATE_WINDOW);
    return theilSenSlope(points.map((p) => ({ t: p.t, value: p.count }))) * 60;
  }

  update(now: number, observation: GroupObservation | undefined): void {
    const count = observation?.count ?? 0;
    this.run.update(now, count);
    this.maxCount = Math.max(this.maxCount, count);
    this.history.push({ t: now, count });
    if (this.growing) this.growingSince ??= now;
    else this.growingSince = undefined;
    for (const controller of this.controllers.keys()) this.controllers.set(controller, 0);
    if (!observation || count === 0) return;
    this.lastSeen = now;
    for (const [controller, n] of observation.byController) {
      if (this.controllers.has(controller) || this.controllers.size < MAX_CONTROLLERS) this.controllers.set(controller, n);
    }
    for (const key of observation.keys) {
      this.sampleKeys = [key, ...this.sampleKeys.filter((k) => k !== key)].slice(0, MAX_SAMPLE_KEYS);
    }
  }
}

/**
 * All groups seen, updated once per sample. Bounded: at most `maxGroups` groups, each
 * with a fixed-size history; empty groups are forgotten after `retentionMs`.
 */
export class LeakGroups {
  private readonly byKey = new Map<string, LeakGroup>();
  private readonly byId = new Map<string, LeakGroup>();
  private readonly growth: Pick<SustainedGrowthOptions, "windowsMs" | "recentMs">;
  private readonly growthByType: Partial<Record<TrackedType, Pick<SustainedGrowthOptions, "windowsMs" | "recentMs">>>;
  private readonly historyCapacity: number;
  private readonly maxGroups: number;
  private readonly retentionMs: number;
  /** Observations of new groups skipped because `maxGroups` was reached. */
  skippedGroups = 0;

  constructor(options: LeakGroupsOptions = {}) {
    this.growth = options.growth ?? growthWindowsFor(5_000);
    this.growthByType = options.growthByType ?? {};
    this.historyCapacity = options.historyCapacity ?? 720;
    this.maxGroups = options.maxGroups ?? 1_000;
    this.retentionMs = options.retentionMs ?? 600_000;
  }

  /** Updates every group from one sample; groups matching `unobserved` were not looked at and keep their state. */
  observe(now: number, observations: ReadonlyMap<string, GroupObservation>, unobserved?: (descriptor: GroupDescriptor) => boolean): void {
    for (const [key, observation] of observations) {
      if (this.byKey.has(key)) continue;
      if (this.byKey.size >= this.maxGroups) {
        this.skippedGroups += 1;
        continue;
      }
      const group = new LeakGroup({ ...observation.descriptor, id: groupId(key) }, now, this.historyCapacity, this.growthByType[observation.descriptor.type] ?? this.growth);
      this.byKey.set(key, group);
      this.byId.set(group.descriptor.id, group);
    }
    for (const [key, group] of this.byKey) {
      if (unobserved?.(group.descriptor) && !observations.has(key)) continue;
      group.update(now, observations.get(key));
      if (group.count === 0 && now - group.lastSeen > this.retentionMs) {
        this.byKey.delete(key);
        this.byId.delete(group.descriptor.id);
      }
    }
  }

  get size(): number {
    return this.byKey.size;
  }

  get(id: string): LeakGroup | undefined {
    return this.byId.get(id);
  }

  all(): LeakGroup[] {
    return [...this.byKey.values()];
  }

  clear(): void {
    this.byKey.clear();
    this.byId.clear();
  }
}

/**
 * Per controller: how many settled reconciles still hold live resources past the
 * grace period, under the same growth rule. It catches leaks whose resources are
 * re-created (a polling loop alternates between a timer and a socket, so neither
 * group grows steadily, but the number of leaking reconciles does). Controllers with
 * none are forgotten, so this stays as small as the set of leaking controllers.
 */
export class LeakingControllers {
  private readonly runs = new Map<string, GrowthRun>();

  constructor(private readonly growth: Pick<SustainedGrowthOptions, "windowsMs" | "recentMs">) {}

  observe(now: number, leakingReconciles: ReadonlyMap<string, number>): void {
    for (const controller of leakingReconciles.keys()) {
      if (!this.runs.has(controller)) this.runs.set(controller, new GrowthRun(this.growth));
    }
    for (const [controller, run] of this.runs) {
      run.update(now, leakingReconciles.get(controller) ?? 0);
      if (run.count === 0) this.runs.delete(controller);
    }
  }

  isLeaking(controller: string): boolean {
    return this.runs.get(controller)?.growing === true;
  }

  /** Controllers with leaking reconciles: how many, and whether that number keeps growing. */
  list(): { controller: string; leakingReconciles: number; growing: boolean }[] {
    return [...this.runs].map(([controller, run]) => ({ controller, leakingReconciles: run.count, growing: run.growing }));
  }
}
