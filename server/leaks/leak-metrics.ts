import { Counter, Gauge, type Registry } from "prom-client";

export const METRIC_NAMES = {
  activeResources: "loopscope_active_resources",
  suspects: "loopscope_leak_suspects",
  leaked: "loopscope_leaked_resources",
  dropped: "loopscope_leak_tracker_dropped_total",
  tracked: "loopscope_leak_tracked_resources",
} as const;

export interface SuspectCount {
  controller: string;
  type: string;
  count: number;
}

/**
 * The leak tracker's Prometheus metrics, registered on one registry for the tracker's
 * lifetime. Gauges are rewritten whole on every update so label sets that disappear
 * (a type no longer live, a controller no longer leaking) disappear from /metrics too.
 */
export class LeakMetrics {
  private readonly activeResources: Gauge<"type">;
  private readonly suspects: Gauge<"controller" | "type">;
  private readonly leaked: Gauge<"controller" | "type">;
  private readonly dropped: Counter;
  private readonly tracked: Gauge;
  private droppedReported = 0;

  constructor(private readonly registry: Registry) {
    for (const name of Object.values(METRIC_NAMES)) registry.removeSingleMetric(name);
    this.activeResources = new Gauge({
      name: METRIC_NAMES.activeResources,
      help: "Live async resources by type: process.getActiveResourcesInfo(), plus the leak tracker's counts for types Node does not list (FileHandle, FileDescriptor, PROMISE in deep mode).",
      labelNames: ["type"],
      registers: [registry],
    });
    this.suspects = new Gauge({
      name: METRIC_NAMES.suspects,
      help: "Live resources in leak-suspect groups (still alive a grace period after the reconcile that created them settled, and growing), by controller and type.",
      labelNames: ["controller", "type"],
      registers: [registry],
    });
    this.leaked = new Gauge({
      name: METRIC_NAMES.leaked,
      help: "Live resources still alive a grace period after the reconcile that created them settled, suspect or not, by controller and type: the series the leak-growth alert runs its trend test on.",
      labelNames: ["controller", "type"],
      registers: [registry],
    });
    this.dropped = new Counter({
      name: METRIC_NAMES.dropped,
      help: "Resources the leak tracker did not track because its table was full.",
      registers: [registry],
    });
    this.tracked = new Gauge({
      name: METRIC_NAMES.tracked,
      help: "Resources currently held in the leak tracker's bounded table.",
      registers: [registry],
    });
  }

  setActiveResources(counts: Record<string, number>): void {
    this.activeResources.reset();
    for (const [type, count] of Object.entries(counts)) this.activeResources.set({ type }, count);
  }

  setSuspects(rows: readonly SuspectCount[]): void {
    this.suspects.reset();
    for (const row of rows) this.suspects.inc({ controller: row.controller, type: row.type }, row.count);
  }

  setLeaked(rows: readonly SuspectCount[]): void {
    this.leaked.reset();
    for (const row of rows) this.leaked.inc({ controller: row.controller, type: row.type }, row.count);
  }

  /** Reports the table's cumulative drop count (the counter only moves forward). */
  setTracking(tracked: number, droppedTotal: number): void {
    this.tracked.set(tracked);
    if (droppedTotal > this.droppedReported) this.dropped.inc(droppedTotal - this.droppedReported);
    this.droppedReported = droppedTotal;
  }

  unregister(): void {
    for (const name of Object.values(METRIC_NAMES)) this.registry.removeSingleMetric(name);
  }
}
