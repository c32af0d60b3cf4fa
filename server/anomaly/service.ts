import { z } from "zod";
import type { BackgroundService } from "../lifecycle/service-set";
import { type Logger, log as rootLog } from "../log";
import type { Prisma } from "../store/generated/client";
import { type PrismaClient, prismaClient } from "../store/prisma";
import { type BandPoint, bandFor } from "./band";
import type { DirectionFilter } from "./detector";
import { explainingCause, type WindowSpan } from "./explanations";
import { type MonitorState, monitorStateSchema, SeriesMonitor } from "./monitor";
import { isSensitivity, type Sensitivity } from "./sensitivity";
import {
  defaultWatchedSeries,
  detectorDefaultsFor,
  EVENT_LOOP_LAG_KEY,
  explainableByOwnEventLoopLag,
  type SeriesQuery,
  seriesQuerySchema,
  type WatchedController,
  type WatchedSeriesSpec,
  watchedControllerName,
} from "./watched-series";
import type { AnomalyWindow } from "./windows";
import { RepeatingTask } from "../lifecycle/repeating-task";


/**
 * One point of a watched series: [ts, value], or for a series judged by its counts (a
 * ratio) [ts, value, trials, share]: the events behind the value in its window, and the
 * part of the window that is new at this step.
 */
export type SeriesPoint = [ts: number, value: number] | [ts: number, value: number, trials: number, share: number];

/** Reads one series from the recorder: points with ts in (fromMs, toMs], oldest first. */
export type FetchSeries = (query: SeriesQuery, fromMs: number, toMs: number) => Promise<SeriesPoint[]>;

export interface AnomalyServiceOptions {
  databaseUrl: string;
  fetchSeries: FetchSeries;
  /**
   * Controllers whose default series are watched; asked at start and on every evaluation. Names
   * are Loopscope's own controllers; a WatchedController's series are read where it says.
   */
  controllers?: () => readonly (string | WatchedController)[] | Promise<readonly (string | WatchedController)[]>;
  /** Evaluation period (default 10 s). */
  intervalMs?: number;
  /** History read the first time a series is evaluated, to learn a baseline (default 1 h). */
  initialLookbackMs?: number;
  /** Never read further back than this when catching up after downtime (default 6 h). */
  maxCatchUpMs?: number;
  /** History replayed before the range of a band request (default 2 h). */
  bandHistoryMs?: number;
  /** Series evaluated concurrently (default 4). */
  concurrency?: number;
  /**
   * Learned state is written at least this often (default 60 s) and whenever a window
   * changes, and on stop. A crash loses nothing: the points since are replayed.
   */
  persistEveryMs?: number;
  log?: Logger;
  now?: () => number;
}

const storedStateSchema = z.object({
  direction: z.enum(["both", "above", "below"]),
  monitor: monitorStateSchema.nullable(),
});

/** What watched_series.state holds. */
interface StoredState {
  direction: DirectionFilter;
  monitor: MonitorState | null;
}

export interface WatchedSeriesView {
  key: string;
  title: string;
  controller: string | null;
  query: SeriesQuery;
  sensitivity: Sensitivity;
  direction: DirectionFilter;
  builtin: boolean;
  enabled: boolean;
  /** Last point evaluated (epoch ms), or null before the first evaluation. */
  lastTs: number | null;
}

export interface AnomalyWindowView {
  id: number;
  seriesKey: string;
  controller: string | null;
  detector: string;
  params: unknown;
  start: number;
  /** Null while the window is open. */
  end: number | null;
  /** When the detector opened it (wall time; the start of the window when not recorded). */
  detectedAt: number;
  peakScore: number;
  direction: "above" | "below";
  /** The series whose window explains this one (one root cause: not an incident or alert of its own), or null. */
  explainedBy: string | null;
}

export interface WatchedSeriesInput {
  key: string;
  title: string;
  query: SeriesQuery;
  controller?: string | null;
  sensitivity?: Sensitivity;
  direction?: DirectionFilter;
}

export interface EvaluationReport {
  series: number;
  points: number;
  windowChanges: number;
  failures: number;
  /** Windows marked in this pass as explained by another series' window. */
  explained: number;
}

export class WatchedSeriesNotFoundError extends Error {
  constructor(key: string) {
    super(`No watched series with key ${JSON.stringify(key)}.`);
    this.name = "WatchedSeriesNotFoundError";
  }
}

function json(value: unknown): Prisma.InputJsonValue {
  return value as Prisma.InputJsonValue;
}

interface WatchedRow {
  key: string;
  title: string;
  controller: string | null;
  query: unknown;
  sensitivity: string;
  builtin: boolean;
  enabled: boolean;
  lastTs: Date | null;
}

/**
 * Live anomaly detection: every `intervalMs` it reads the new points of each enabled
 * watched series (through the injected `fetchSeries`), feeds them to the series'
 * monitor, and stores the monitor's state, the last timestamp and the windows it
 * opened, extended or closed — in one transaction per series.
 *
 * Guarantees: detection resumes from the stored state after a restart (a crash
 * between evaluations replays the unstored points, and window writes are idempotent
 * by series and start, so nothing is lost or duplicated); a failing series is logged
 * and retried next time without holding up the others.
 */
export class AnomalyService implements BackgroundService {
  readonly name = "anomaly";
  private readonly db: PrismaClient;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly monitors = new Map<string, SeriesMonitor>();
  /** When each monitor's state was last written, and its controller (for window rows). */
  private readonly persisted = new Map<string, { at: number; dirty: boolean }>();
  private readonly knownControllers = new Set<string>();
  private processWideEnsured = false;
  private readonly loop: RepeatingTask;
  private running: Promise<EvaluationReport> | undefined;

  constructor(private readonly options: AnomalyServiceOptions) {
    this.db = prismaClient(options.databaseUrl);
    this.log = (options.log ?? rootLog).child({ service: "anomaly" });
    this.now = options.now ?? Date.now;
    this.loop = new RepeatingTask({
      run: () => this.evaluate(),
      everyMs: options.intervalMs ?? 10_000,
      onError: (error) => this.log.error({ err: error }, "anomaly evaluation failed"),
    });
  }

  async start(): Promise<void> {
    await this.ensureDefaults().catch((error: unknown) => this.log.error({ err: error }, "could not create the default watched series"));
    this.loop.start(this.options.intervalMs ?? 10_000);
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.running?.catch(() => undefined);
    await this.flush();
  }

  /** Writes the state of every monitor that advanced since its last write. */
  async flush(): Promise<void> {
    for (const [key, mark] of this.persisted) {
      const monitor = this.monitors.get(key);
      if (!mark.dirty || !monitor) continue;
      try {
        await this.db.$transaction((tx) => this.writeState(tx, key, monitor));
        this.persisted.set(key, { at: this.now(), dirty: false });
      } catch (error) {
        this.log.warn({ series: key, err: error instanceof Error ? error.message : String(error) }, "could not store anomaly state");
      }
    }
  }

  private async writeState(tx: Prisma.TransactionClient, key: string, monitor: SeriesMonitor): Promise<void> {
    const state: StoredState = { direction: monitor.options.direction, monitor: monitor.toState() };
    const lastTs = monitor.lastTimestamp;
    await tx.watchedSeries.update({ where: { key }, data: { state: json(state), lastTs: lastTs === null ? null : new Date(lastTs) } });
  }

  /** Creates the built-in watched series of controllers not seen yet (existing rows are left as they are). */
  async ensureDefaults(): Promise<number> {
    const listed = (await this.options.controllers?.()) ?? [];
    const fresh = listed.filter((c) => !this.knownControllers.has(watchedControllerName(c)));
    if (fresh.length === 0 && this.processWideEnsured) return 0;
    const specs = defaultWatchedSeries(fresh).filter((s) => s.controller !== null || !this.processWideEnsured);
    const result = await this.db.watchedSeries.createMany({
      data: specs.map((s) => ({
        key: s.key,
        title: s.title,
        query: json(s.query),
        sensitivity: s.sensitivity,
        controller: s.controller,
        builtin: true,
        state: json({ direction: s.direction, monitor: null } satisfies StoredState),
      })),
      skipDuplicates: true,
    });
    await this.followBuiltinDefinitions(specs, fresh.map(watchedControllerName), !this.processWideEnsured);
    for (const c of fresh) this.knownControllers.add(watchedControllerName(c));
    this.processWideEnsured = true;
    return result.count;
  }

  /**
   * Built-in series follow the product's current definitions (once per controller per
   * process): one whose query or title changed takes the new one (learning afresh, as a
   * changed query means another series; its sensitivity and enabled flag stay), and one
   * no longer built in for its controller is removed (its windows stay as history); a
   * window either left open is closed now.
   */
  private async followBuiltinDefinitions(specs: readonly WatchedSeriesSpec[], controllers: readonly string[], processWide: boolean): Promise<void> {
    const scope = [...controllers.map((c) => ({ controller: c })), ...(processWide ? [{ controller: null }] : [])];
    if (scope.length === 0) return;
    const rows = await this.db.watchedSeries.findMany({ where: { builtin: true, OR: scope }, select: { key: true, title: true, query: true } });
    const byKey = new Map(specs.map((s) => [s.key, s]));
    for (const row of rows) {
      const spec = byKey.get(row.key);
      // Its monitor (and so the window tracker that would close an open window) starts afresh or goes.
      const closeOpen = () => this.db.anomalyWindow.updateMany({ where: { seriesKey: row.key, endAt: null }, data: { endAt: new Date(this.now()) } });
      if (!spec) {
        await closeOpen();
        await this.db.watchedSeries.delete({ where: { key: row.key } });
        this.monitors.delete(row.key);
        this.persisted.delete(row.key);
        this.log.info({ series: row.key }, "built-in watched series is no longer built in; removed");
        continue;
      }
      const stored = seriesQuerySchema.safeParse(row.query);
      const queryChanged = !stored.success || JSON.stringify(stored.data) !== JSON.stringify(seriesQuerySchema.parse(spec.query));
      if (!queryChanged && row.title === spec.title) continue;
      if (queryChanged) await closeOpen();
      await this.db.watchedSeries.update({
        where: { key: row.key },
        data: {
          title: spec.title,
          ...(queryChanged ? { query: json(spec.query), state: json({ direction: spec.direction, monitor: null } satisfies StoredState), lastTs: null } : {}),
        },
      });
      this.monitors.delete(row.key);
      this.persisted.delete(row.key);
    }
  }

  /** One evaluation pass over every enabled watched series (what the timer runs). */
  evaluate(): Promise<EvaluationReport> {
    if (this.running) return this.running;
    this.running = this.evaluateAll().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async evaluateAll(): Promise<EvaluationReport> {
    await this.ensureDefaults().catch((error: unknown) => this.log.warn({ err: error }, "could not refresh the default watched series"));
    const rows = await this.db.watchedSeries.findMany({
      where: { enabled: true },
      select: { key: true, title: true, controller: true, query: true, sensitivity: true, builtin: true, enabled: true, lastTs: true },
      orderBy: { key: "asc" },
    });
    const report: EvaluationReport = { series: rows.length, points: 0, windowChanges: 0, failures: 0, explained: 0 };
    const queue = [...rows];
    const worker = async () => {
      for (let row = queue.shift(); row; row = queue.shift()) {
        try {
          const outcome = await this.evaluateSeries(row);
          report.points += outcome.points;
          report.windowChanges += outcome.windowChanges;
        } catch (error) {
          report.failures += 1;
          this.monitors.delete(row.key); // reload the stored state next time: the points since are replayed
          this.persisted.delete(row.key);
          this.log.warn({ series: row.key, err: error instanceof Error ? error.message : String(error) }, "anomaly evaluation of a series failed");
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.options.concurrency ?? 4) }, worker));
    try {
      report.explained = await this.markExplained(rows);
    } catch (error) {
      this.log.warn({ err: error instanceof Error ? error.message : String(error) }, "could not mark explained anomaly windows");
    }
    return report;
  }

  /**
   * After a pass: marks the windows of Loopscope's own controllers' durations that began
   * while the process's event-loop lag was anomalous as explained by it (explanations.ts),
   * so the lag is shown as the one incident it is. Windows still open, or closed within the
   * last hour, are looked at; a mark is never taken back.
   */
  private async markExplained(rows: readonly WatchedRow[]): Promise<number> {
    const explainable = rows.filter((r) => {
      const q = seriesQuerySchema.safeParse(r.query);
      return q.success && explainableByOwnEventLoopLag(q.data);
    });
    if (explainable.length === 0) return 0;
    const recent = [{ endAt: null }, { endAt: { gte: new Date(this.now() - 3_600_000) } }];
    const causes = await this.db.anomalyWindow.findMany({ where: { seriesKey: EVENT_LOOP_LAG_KEY, OR: recent } });
    if (causes.length === 0) return 0;
    const candidates = await this.db.anomalyWindow.findMany({
      where: { seriesKey: { in: explainable.map((r) => r.key) }, explainedBy: null, OR: recent },
    });
    const causeSpans = causes.map(spanOf);
    let marked = 0;
    for (const w of candidates) {
      if (!explainingCause(spanOf(w), causeSpans)) continue;
      await this.db.anomalyWindow.update({ where: { id: w.id }, data: { explainedBy: EVENT_LOOP_LAG_KEY } });
      marked += 1;
    }
    return marked;
  }

  private async loadMonitor(row: WatchedRow, query: SeriesQuery): Promise<SeriesMonitor> {
    const sensitivity = isSensitivity(row.sensitivity) ? row.sensitivity : "medium";
    let monitor = this.monitors.get(row.key);
    if (!monitor) {
      const found = await this.db.watchedSeries.findUnique({ where: { key: row.key }, select: { state: true } });
      const stored = storedStateSchema.safeParse(found?.state);
      const defaults = detectorDefaultsFor(query);
      const direction = stored.success ? stored.data.direction : defaults.direction;
      if (stored.success && stored.data.monitor) {
        monitor = SeriesMonitor.fromState(row.key, stored.data.monitor, { sensitivity, direction });
      } else {
        if (found?.state && !stored.success) this.log.warn({ series: row.key }, "stored anomaly state is unreadable; learning afresh");
        monitor = new SeriesMonitor(row.key, { sensitivity, direction }, { params: defaults.params });
      }
      this.monitors.set(row.key, monitor);
    }
    monitor.options = { ...monitor.options, sensitivity };
    return monitor;
  }

  private async evaluateSeries(row: WatchedRow): Promise<{ points: number; windowChanges: number }> {
    const query = seriesQuerySchema.parse(row.query);
    const monitor = await this.loadMonitor(row, query);
    const now = this.now();
    const last = monitor.lastTimestamp ?? row.lastTs?.getTime() ?? null;
    const from = last === null ? now - (this.options.initialLookbackMs ?? 3_600_000) : Math.max(last, now - (this.options.maxCatchUpMs ?? 6 * 3_600_000));
    if (from >= now) return { points: 0, windowChanges: 0 };
    const fetched = await this.options.fetchSeries(query, from, now);
    const points = fetched.filter(([ts]) => Number.isFinite(ts) && ts > from && ts <= now && (last === null || ts > last)).sort((a, b) => a[0] - b[0]);

    const touched = new Map<number, AnomalyWindow>();
    const opened = new Set<number>();
    let lastTs: number | null = null;
    for (const [ts, value, trials, share] of points) {
      if (lastTs !== null && ts <= lastTs) continue; // duplicate timestamps
      const { events } = monitor.step(ts, value, trials === undefined ? undefined : { trials, share: share ?? 1 });
      for (const e of events) {
        touched.set(e.window.seq, e.window);
        if (e.kind === "opened") opened.add(e.window.seq);
      }
      lastTs = ts;
    }
    if (lastTs === null) return { points: 0, windowChanges: 0 };

    const mark = this.persisted.get(row.key);
    if (touched.size === 0 && mark && now - mark.at < (this.options.persistEveryMs ?? 60_000)) {
      mark.dirty = true;
      return { points: points.length, windowChanges: 0 };
    }
    await this.db.$transaction(async (tx) => {
      for (const w of touched.values()) {
        const data = { endAt: w.end === null ? null : new Date(w.end), peakScore: w.peakScore, direction: w.direction };
        const existing = await tx.anomalyWindow.findFirst({ where: { seriesKey: w.seriesKey, startAt: new Date(w.start) }, select: { id: true } });
        if (existing) await tx.anomalyWindow.update({ where: { id: existing.id }, data });
        else {
          await tx.anomalyWindow.create({
            data: {
              ...data,
              seriesKey: w.seriesKey,
              controller: row.controller,
              detector: w.detector,
              params: json(w.params),
              startAt: new Date(w.start),
              // Wall time of the pass that opened it (a replay after downtime detects late, and says so).
              detectedAt: new Date(opened.has(w.seq) ? Math.max(now, w.detectedAt) : w.detectedAt),
            },
          });
        }
      }
      await this.writeState(tx, row.key, monitor);
    });
    this.persisted.set(row.key, { at: now, dirty: false });
    return { points: points.length, windowChanges: touched.size };
  }

  /** All watched series, built-in first, then by key. */
  async watched(): Promise<WatchedSeriesView[]> {
    const rows = await this.db.watchedSeries.findMany({
      select: { key: true, title: true, controller: true, query: true, sensitivity: true, builtin: true, enabled: true, lastTs: true },
      orderBy: [{ builtin: "desc" }, { key: "asc" }],
    });
    // Only the direction is needed from the (large) learned state.
    const directions = await this.db.$queryRaw<Array<{ key: string; direction: string | null }>>`
      SELECT key, state->>'direction' AS direction FROM watched_series`;
    const byKey = new Map(directions.map((d) => [d.key, d.direction]));
    return rows.map((r) => this.view({ ...r, state: { direction: byKey.get(r.key), monitor: null } }));
  }

  private view(r: WatchedRow & { state: unknown }): WatchedSeriesView {
    const query = seriesQuerySchema.safeParse(r.query);
    const stored = storedStateSchema.pick({ direction: true }).safeParse(r.state);
    const parsedQuery: SeriesQuery = query.success ? query.data : { metric: "invalid", matchers: [], fn: "raw" };
    return {
      key: r.key,
      title: r.title,
      controller: r.controller,
      query: parsedQuery,
      sensitivity: isSensitivity(r.sensitivity) ? r.sensitivity : "medium",
      direction: stored.success ? stored.data.direction : detectorDefaultsFor(parsedQuery).direction,
      builtin: r.builtin,
      enabled: r.enabled,
      lastTs: r.lastTs?.getTime() ?? null,
    };
  }

  /**
   * Adds a series to watch, or updates one. Changing the query of an existing series
   * forgets what was learned (it is another series now); title, sensitivity and
   * direction changes keep it.
   */
  async upsertWatched(input: WatchedSeriesInput): Promise<WatchedSeriesView> {
    const query = seriesQuerySchema.parse(input.query);
    const existing = await this.db.watchedSeries.findUnique({ where: { key: input.key } });
    const defaults = detectorDefaultsFor(query);
    if (!existing) {
      const row = await this.db.watchedSeries.create({
        data: {
          key: input.key,
          title: input.title,
          query: json(query),
          controller: input.controller ?? null,
          sensitivity: input.sensitivity ?? "medium",
          builtin: false,
          state: json({ direction: input.direction ?? defaults.direction, monitor: null } satisfies StoredState),
        },
      });
      return this.view(row);
    }
    const stored = storedStateSchema.safeParse(existing.state);
    const queryChanged = JSON.stringify(seriesQuerySchema.safeParse(existing.query).data ?? null) !== JSON.stringify(query);
    const direction = input.direction ?? (stored.success ? stored.data.direction : defaults.direction);
    const monitor = queryChanged || !stored.success ? null : stored.data.monitor;
    const row = await this.db.watchedSeries.update({
      where: { key: input.key },
      data: {
        title: input.title,
        query: json(query),
        controller: input.controller === undefined ? existing.controller : input.controller,
        sensitivity: input.sensitivity ?? existing.sensitivity,
        state: json({ direction, monitor } satisfies StoredState),
        ...(queryChanged ? { lastTs: null } : {}),
      },
    });
    this.monitors.delete(input.key);
    this.persisted.delete(input.key);
    return this.view(row);
  }

  async setSensitivity(key: string, sensitivity: Sensitivity): Promise<WatchedSeriesView> {
    const row = await this.db.watchedSeries.update({ where: { key }, data: { sensitivity } }).catch(() => {
      throw new WatchedSeriesNotFoundError(key);
    });
    const monitor = this.monitors.get(key);
    if (monitor) monitor.options = { ...monitor.options, sensitivity };
    return this.view(row);
  }

  async setEnabled(key: string, enabled: boolean): Promise<WatchedSeriesView> {
    const row = await this.db.watchedSeries.update({ where: { key }, data: { enabled } }).catch(() => {
      throw new WatchedSeriesNotFoundError(key);
    });
    return this.view(row);
  }

  /** Removes a user-added series (its windows stay as history). Built-in series can only be disabled. */
  async removeWatched(key: string): Promise<void> {
    const row = await this.db.watchedSeries.findUnique({ where: { key }, select: { builtin: true } });
    if (!row) throw new WatchedSeriesNotFoundError(key);
    if (row.builtin) throw new Error(`${key} is a built-in series; disable it instead of removing it.`);
    await this.db.watchedSeries.delete({ where: { key } });
    this.monitors.delete(key);
    this.persisted.delete(key);
  }

  /** Windows overlapping [from, to], optionally of one series, oldest first (at most `limit`). */
  async windows(range: { seriesKey?: string; from: number; to: number; limit?: number }): Promise<AnomalyWindowView[]> {
    const rows = await this.db.anomalyWindow.findMany({
      where: {
        ...(range.seriesKey ? { seriesKey: range.seriesKey } : {}),
        startAt: { lte: new Date(range.to) },
        OR: [{ endAt: null }, { endAt: { gte: new Date(range.from) } }],
      },
      orderBy: [{ startAt: "asc" }, { id: "asc" }],
      take: range.limit ?? 1_000,
    });
    return rows.map(windowView);
  }

  /** Windows that are open right now, most recent first. */
  async openWindows(): Promise<AnomalyWindowView[]> {
    const rows = await this.db.anomalyWindow.findMany({ where: { endAt: null }, orderBy: [{ startAt: "desc" }, { id: "desc" }] });
    return rows.map(windowView);
  }

  /**
   * The expected band of a watched series over [from, to], recomputed by replaying the
   * detector over the range plus `bandHistoryMs` of history before it (with the
   * series' sensitivity and direction, without seasonal profiles older than that).
   */
  async band(seriesKey: string, from: number, to: number): Promise<BandPoint[]> {
    const row = await this.db.watchedSeries.findUnique({ where: { key: seriesKey } });
    if (!row) throw new WatchedSeriesNotFoundError(seriesKey);
    const view = this.view(row);
    const history = this.options.bandHistoryMs ?? 2 * 3_600_000;
    const fetched = await this.options.fetchSeries(view.query, from - history, to);
    const points = [...fetched].sort((a, b) => a[0] - b[0]).filter((p, i, all) => i === 0 || p[0] > all[i - 1][0]);
    const band = bandFor(points, { sensitivity: view.sensitivity, direction: view.direction }, detectorDefaultsFor(view.query).params);
    return band.filter((p) => p.ts >= from && p.ts <= to);
  }
}

function spanOf(r: { seriesKey: string; startAt: Date; endAt: Date | null; detectedAt: Date | null; direction: string }): WindowSpan {
  return {
    seriesKey: r.seriesKey,
    start: r.startAt.getTime(),
    end: r.endAt?.getTime() ?? null,
    detectedAt: r.detectedAt?.getTime() ?? r.startAt.getTime(),
    direction: r.direction === "below" ? "below" : "above",
  };
}

function windowView(r: {
  id: number;
  seriesKey: string;
  controller: string | null;
  detector: string;
  params: unknown;
  startAt: Date;
  endAt: Date | null;
  detectedAt: Date | null;
  peakScore: number;
  direction: string;
  explainedBy: string | null;
}): AnomalyWindowView {
  return {
    id: r.id,
    seriesKey: r.seriesKey,
    controller: r.controller,
    detector: r.detector,
    params: r.params,
    start: r.startAt.getTime(),
    end: r.endAt?.getTime() ?? null,
    detectedAt: r.detectedAt?.getTime() ?? r.startAt.getTime(),
    peakScore: r.peakScore,
    direction: r.direction === "below" ? "below" : "above",
    explainedBy: r.explainedBy,
  };
}

