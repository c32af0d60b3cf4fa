import type { Agent } from "undici";
import type { BackgroundService } from "../lifecycle/service-set";
import type { TrendPoint } from "../leaks/leak-trend";
import { log as rootLog } from "../log";
import { type OutboundPolicy, outboundAgent } from "../outbound/policy";
import type { ScrapeAuth } from "../scrape/target-schema";
import type { PrismaClient } from "../store/prisma";
import { parseGoroutineDump } from "./goroutine-dump";
import { type GoroutineGroup, groupGoroutines } from "./goroutine-groups";
import { GoroutineStore, type StoredGoroutineGroup } from "./goroutine-store";
import { type GoroutineSuspect, type GoroutineSuspectReason, goroutineGrowthWindows, goroutineSuspects } from "./goroutine-suspects";
import { fetchPprofText, type PprofFetchResult } from "./pprof-fetch";

/** A Go target: a scrape target with a pprof base URL. */
export interface GoTarget {
  id: number;
  name: string;
  pprofUrl: string;
  auth?: ScrapeAuth;
  /** The `job` and `instance` labels of the target's scraped series (its go_goroutines, process_open_fds). */
  series?: { job: string; instance: string };
}

export interface GoroutineCollectorOptions {
  prisma: PrismaClient;
  /** The targets to collect from (read each round, so added targets are picked up). */
  targets: () => Promise<GoTarget[]>;
  policy: OutboundPolicy;
  /** Dump period (default 30 s). */
  intervalMs?: number;
  /** How long snapshots are kept (default 7 days). */
  retentionMs?: number;
  /** Minutes in a stuck state before a group is a suspect (default 10). */
  blockedMinutes?: number;
  /** How often a target without a goroutineleak profile is asked again (default 10 min). */
  leakProfileRetryMs?: number;
  now?: () => number;
  log?: typeof rootLog;
}

/** One suspect group as the API shows it. */
export interface GoroutineSuspectView {
  /** The group's id (hash of state + stack), stable across restarts. */
  id: string;
  state: string;
  count: number;
  leaked: number;
  maxWaitMinutes: number;
  reasons: GoroutineSuspectReason[];
  growthPerMinute: number;
  topUserFrame: string | null;
  userStack: string[];
  createdBy: string | null;
  sampleIds: number[];
}

export interface GoTargetStatus {
  targetId: number;
  name: string;
  pprofUrl: string;
  /** The `job` and `instance` labels of the target's scraped series (null when the target is not scraped by this Loopscope). */
  series: { job: string; instance: string } | null;
  lastCollectAt: number | null;
  lastError: string | null;
  goroutines: number;
  groups: number;
  /** Whether the target serves /debug/pprof/goroutineleak (null: not asked yet). */
  leakProfile: boolean | null;
  provenLeaks: number;
  suspects: GoroutineSuspectView[];
  /** The collector's own CPU time for this target, per minute of wall time (ms/min). */
  collectorCpuMsPerMinute: number;
  lastParseMs: number | null;
  lastDumpBytes: number | null;
}

export interface GoroutineDiffEntry {
  groupId: number;
  state: string;
  topFrame: string | null;
  before: number;
  after: number;
  delta: number;
}

interface TargetState {
  status: GoTargetStatus;
  /** Group key hash → recent counts (only within the longest trend window). */
  history: Map<string, TrendPoint[]>;
  warmed: boolean;
  leakProfileCheckedAt: number;
  cpuMs: number;
  firstCollectAt: number;
  collections: number;
}

const RETENTION_EVERY_MS = 3_600_000;

/**
 * Go goroutine leak diagnostics: every `intervalMs`, for each target with a pprof URL,
 * fetches `goroutine?debug=2` (and `goroutineleak?debug=2` where served) through the
 * outbound policy, parses and groups the goroutines, stores the counts in Postgres, and
 * judges suspects with the shared leak trend test. One bad target never stops the rest.
 */
export class GoroutineCollector implements BackgroundService {
  readonly name = "goroutines";
  readonly intervalMs: number;
  private readonly store: GoroutineStore;
  private readonly agent: Agent;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private readonly states = new Map<number, TargetState>();
  private readonly now: () => number;
  private readonly log: typeof rootLog;
  private readonly growth: ReturnType<typeof goroutineGrowthWindows>;
  private lastRetention = 0;

  constructor(private readonly options: GoroutineCollectorOptions) {
    this.intervalMs = options.intervalMs ?? 30_000;
    this.store = new GoroutineStore(options.prisma);
    this.agent = outboundAgent(options.policy, { keepAliveTimeoutMs: Math.max(4_000, this.intervalMs * 2) });
    this.now = options.now ?? Date.now;
    this.log = (options.log ?? rootLog).child({ service: "goroutines" });
    this.growth = goroutineGrowthWindows(this.intervalMs);
  }

  /**
   * Collects at a fixed rate (a round starts `intervalMs` after the previous one started,
   * or at once if it took longer), so dumps are evenly spaced for the trend test.
   */
  async start(): Promise<void> {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.agent.close();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const started = this.now();
      this.running = this.collectOnce()
        .catch((error: unknown) => this.log.error({ err: error }, "goroutine collection failed"))
        .finally(() => {
          this.running = undefined;
          this.schedule(Math.max(0, this.intervalMs - (this.now() - started)));
        });
    }, delayMs);
    this.timer.unref();
  }

  /** One round over every Go target. */
  async collectOnce(): Promise<void> {
    const targets = await this.options.targets();
    const wanted = new Set(targets.map((t) => t.id));
    for (const id of this.states.keys()) if (!wanted.has(id)) this.states.delete(id);
    for (const target of targets) {
      try {
        await this.collectTarget(target);
      } catch (error) {
        this.stateOf(target).status.lastError = error instanceof Error ? error.message : String(error);
      }
    }
    const now = this.now();
    if (now - this.lastRetention >= RETENTION_EVERY_MS) {
      this.lastRetention = now;
      await this.store.prune(now - (this.options.retentionMs ?? 7 * 86_400_000));
    }
  }

  status(): GoTargetStatus[] {
    return [...this.states.values()].map((s) => s.status).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Successful collections of a target since it was first seen. */
  collections(targetId: number): number {
    return this.states.get(targetId)?.collections ?? 0;
  }

  target(targetId: number): GoTargetStatus | undefined {
    return this.states.get(targetId)?.status;
  }

  /** Counts of one target's groups over [from, to], for charts. */
  async history(targetId: number, from: number, to: number) {
    return this.store.snapshots(targetId, from, to);
  }

  /** Groups that grew between two times (the pprof `-base` view), largest growth first. */
  async diff(targetId: number, from: number, to: number): Promise<{ from: number | null; to: number | null; grown: GoroutineDiffEntry[] }> {
    const [before, after] = await Promise.all([this.store.snapshotAt(targetId, from), this.store.snapshotAt(targetId, to)]);
    if (!after) return { from: before?.at ?? null, to: null, grown: [] };
    const grownIds: { id: number; before: number; after: number }[] = [];
    for (const [id, count] of after.counts) {
      const was = before?.counts.get(id) ?? 0;
      if (count > was) grownIds.push({ id, before: was, after: count });
    }
    const groups = new Map<number, StoredGoroutineGroup>((await this.store.groups(grownIds.map((g) => g.id))).map((g) => [g.id, g]));
    return {
      from: before?.at ?? null,
      to: after.at,
      grown: grownIds
        .map((g) => ({ groupId: g.id, state: groups.get(g.id)?.state ?? "", topFrame: groups.get(g.id)?.topFrame ?? null, before: g.before, after: g.after, delta: g.after - g.before }))
        .sort((a, b) => b.delta - a.delta),
    };
  }

  private stateOf(target: GoTarget): TargetState {
    let state = this.states.get(target.id);
    if (!state) {
      state = {
        status: {
          targetId: target.id,
          name: target.name,
          pprofUrl: target.pprofUrl,
          series: target.series ?? null,
          lastCollectAt: null,
          lastError: null,
          goroutines: 0,
          groups: 0,
          leakProfile: null,
          provenLeaks: 0,
          suspects: [],
          collectorCpuMsPerMinute: 0,
          lastParseMs: null,
          lastDumpBytes: null,
        },
        history: new Map(),
        warmed: false,
        leakProfileCheckedAt: Number.NEGATIVE_INFINITY,
        cpuMs: 0,
        firstCollectAt: this.now(),
        collections: 0,
      };
      this.states.set(target.id, state);
    }
    state.status.name = target.name;
    state.status.pprofUrl = target.pprofUrl;
    state.status.series = target.series ?? null;
    return state;
  }

  private async collectTarget(target: GoTarget): Promise<void> {
    const state = this.stateOf(target);
    if (!state.warmed) await this.warm(target.id, state);
    const cpuBefore = process.cpuUsage();
    const dump = await this.fetchDump(target, state);
    const at = this.now();
    if (!dump.ok) {
      state.status.lastError = `goroutine profile: ${dump.error}`;
      return;
    }
    const parseStarted = performance.now();
    const parsed = parseGoroutineDump(dump.text);
    const groups = groupGoroutines(parsed.goroutines);
    state.status.lastParseMs = performance.now() - parseStarted;
    state.status.lastDumpBytes = dump.bytes;
    if (parsed.goroutines.length === 0) {
      state.status.lastError = "goroutine profile: no goroutines in the response (is the URL the pprof base, e.g. http://host:8082/debug/pprof/?)";
      return;
    }
    const provenLeaks = parsed.goroutines.filter((g) => g.leaked).length;
    this.addHistory(state, at, groups);
    await this.store.record(target.id, at, groups, parsed.goroutines.length, state.status.leakProfile ? provenLeaks : null);
    const suspects = goroutineSuspects(groups, (key) => state.history.get(key) ?? [], at, {
      growth: this.growth,
      blockedMinutes: this.options.blockedMinutes,
    });
    const cpu = process.cpuUsage(cpuBefore);
    state.collections += 1;
    state.cpuMs += (cpu.user + cpu.system) / 1000;
    const wallMinutes = Math.max(this.intervalMs, at - state.firstCollectAt) / 60_000;
    Object.assign(state.status, {
      lastCollectAt: at,
      lastError: null,
      goroutines: parsed.goroutines.length,
      groups: groups.length,
      provenLeaks,
      suspects: suspects.map(view),
      collectorCpuMsPerMinute: state.cpuMs / wallMinutes,
    });
  }

  /**
   * The dump: where the target serves the goroutineleak profile (Go ≥ 1.26 built with
   * GOEXPERIMENT=goroutineleakprofile), `goroutineleak?debug=2`, which runs the leak-finding
   * collection first and then lists every goroutine, the proven leaks marked "(leaked)";
   * elsewhere `goroutine?debug=2`. A target without it is asked again every
   * `leakProfileRetryMs` (it may be redeployed with a newer Go).
   */
  private async fetchDump(target: GoTarget, state: TargetState): Promise<PprofFetchResult> {
    const now = this.now();
    const retry = this.options.leakProfileRetryMs ?? 600_000;
    if (state.status.leakProfile !== false || now - state.leakProfileCheckedAt >= retry) {
      state.leakProfileCheckedAt = now;
      const leak = await fetchPprofText(this.agent, this.options.policy, target.pprofUrl, "goroutineleak?debug=2", { auth: target.auth });
      // net/http/pprof answers 404 "Unknown profile" where the runtime has no such profile.
      if (leak.ok || leak.status !== 404) {
        if (leak.ok) state.status.leakProfile = true;
        return leak;
      }
      state.status.leakProfile = false;
    }
    return fetchPprofText(this.agent, this.options.policy, target.pprofUrl, "goroutine?debug=2", { auth: target.auth });
  }

  private addHistory(state: TargetState, at: number, groups: readonly GoroutineGroup[]): void {
    const span = Math.max(...this.growth.windowsMs, this.growth.recentMs) + this.intervalMs;
    const present = new Set<string>();
    for (const group of groups) {
      present.add(group.id);
      const points = state.history.get(group.id) ?? [];
      points.push({ t: at, value: group.count });
      state.history.set(group.id, points);
    }
    for (const [key, points] of state.history) {
      if (!present.has(key)) points.push({ t: at, value: 0 });
      while (points.length > 1 && points[1].t <= at - span) points.shift();
      if (points.every((p) => p.value === 0)) state.history.delete(key);
    }
  }

  /** Restores the recent counts from Postgres after a restart, so trends carry on. */
  private async warm(targetId: number, state: TargetState): Promise<void> {
    state.warmed = true;
    const at = this.now();
    const span = Math.max(...this.growth.windowsMs, this.growth.recentMs);
    const snapshots = await this.store.snapshots(targetId, at - span, at);
    if (snapshots.length === 0) return;
    const ids = new Set<number>();
    for (const s of snapshots) for (const id of s.counts.keys()) ids.add(id);
    const stored = await this.options.prisma.goroutineGroup.findMany({ where: { id: { in: [...ids] } }, select: { id: true, keyHash: true } });
    const hashOf = new Map(stored.map((g) => [g.id, g.keyHash]));
    for (const s of snapshots) {
      for (const [id, count] of s.counts) {
        const hash = hashOf.get(id);
        if (!hash) continue;
        const points = state.history.get(hash) ?? [];
        points.push({ t: s.at, value: count });
        state.history.set(hash, points);
      }
    }
  }
}

function view(s: GoroutineSuspect): GoroutineSuspectView {
  const g = s.group;
  return {
    id: g.id,
    state: g.state,
    count: g.count,
    leaked: g.leaked,
    maxWaitMinutes: g.maxWaitMinutes,
    reasons: s.reasons,
    growthPerMinute: s.growthPerMinute,
    topUserFrame: g.topUserFrame,
    userStack: g.userStack,
    createdBy: g.createdBy ? `${g.createdBy.fn} (${g.createdBy.file}:${g.createdBy.line})` : null,
    sampleIds: g.sampleIds,
  };
}
