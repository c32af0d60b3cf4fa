import { findService } from "../service-registry";

/** One controller as the overview shows it: health with reasons, sparklines, counts. */
export interface ControllerSummary {
  name: string;
  kind: "built-in" | "scraped";
  source: string;
  health: "ok" | "degraded" | "failing";
  reasons: string[];
  depthPoints: [number, number][];
  p99Points: [number, number][];
  workersBusy: number | null;
  workersMax: number | null;
  firingAlerts: number;
  openAnomalies: number;
  leakSuspects: number;
}

export interface Overview {
  sourceKind: string;
  demo: boolean;
  recorder: { degraded: boolean; buffered: number; dropped: number; lastError: string | null } | null;
  controllers: ControllerSummary[];
  firingAlerts: number;
  openAnomalies: number;
  leakSuspects: number;
}

const SPARK_MS = 15 * 60_000;

type Points = [number, number][];

async function byController(metric: string, fn: "raw" | "histogram_quantile", start: number, end: number): Promise<Map<string, Points>> {
  const out = new Map<string, Points>();
  const query = findService("query");
  if (!query) return out;
  const result = await query
    .range({
      metric,
      matchers: [],
      start,
      end,
      maxPoints: 60,
      fn,
      quantile: fn === "histogram_quantile" ? 0.99 : undefined,
      aggregate: { op: "sum", by: ["name"] },
      downsample: "minmax",
      maxSeries: 200,
    })
    .catch(() => ({ series: [] as { labels: Record<string, string>; points: Points }[] }));
  for (const series of result.series) out.set(series.labels.name ?? "", series.points as Points);
  return out;
}

/**
 * Everything the overview page needs in one call: each controller (the in-process
 * ones and those seen in scraped workqueue metrics) with a health verdict and why.
 */
export async function buildOverview(now = Date.now()): Promise<Overview> {
  const runtime = findService("runtime");
  const state = runtime?.state({ limit: 5 });
  const [depth, p99] = await Promise.all([
    byController("workqueue_depth", "raw", now - SPARK_MS, now),
    byController("workqueue_queue_duration_seconds", "histogram_quantile", now - SPARK_MS, now),
  ]);
  const alerting = findService("alerting");
  const firing = alerting ? await alerting.alerts.list({ states: ["firing"] }).catch(() => []) : [];
  const anomaly = findService("anomaly");
  const windows = anomaly ? await anomaly.openWindows().catch(() => []) : [];
  const leaks = findService("leaks");
  const suspects = leaks?.suspects() ?? [];

  const names = new Map<string, { kind: "built-in" | "scraped"; source: string }>();
  for (const c of state?.controllers ?? []) names.set(c.name, { kind: "built-in", source: state?.sourceKind ?? "none" });
  for (const name of depth.keys()) if (name && !names.has(name)) names.set(name, { kind: "scraped", source: "scrape target" });

  const controllers = [...names.entries()].map(([name, origin]): ControllerSummary => {
    const live = state?.controllers.find((c) => c.name === name);
    const myAlerts = firing.filter((a) => a.labels.controller === name || a.labels.name === name);
    const myWindows = windows.filter((w) => w.controller === name);
    const mySuspects = suspects.filter((s) => s.controllers.some((c) => c.controller === name));
    const reasons: string[] = [...(live?.healthReasons ?? [])];
    for (const a of myAlerts) reasons.push(`alert ${a.labels.alertname ?? "firing"}`);
    if (myWindows.length > 0) reasons.push(`${myWindows.length} open anomaly window${myWindows.length > 1 ? "s" : ""}`);
    if (mySuspects.length > 0) reasons.push(`${mySuspects.reduce((n, s) => n + s.count, 0)} leaked resources`);
    const critical = myAlerts.some((a) => a.labels.severity === "critical") || live?.health === "stuck";
    const health: ControllerSummary["health"] = critical ? "failing" : reasons.length > 0 ? "degraded" : "ok";
    return {
      name,
      kind: origin.kind,
      source: origin.source,
      health,
      reasons,
      depthPoints: depth.get(name) ?? [],
      p99Points: p99.get(name) ?? [],
      workersBusy: live?.workers.busy ?? null,
      workersMax: live?.workers.max ?? null,
      firingAlerts: myAlerts.length,
      openAnomalies: myWindows.length,
      leakSuspects: mySuspects.length,
    };
  });

  const recorder = findService("recorder")?.status();
  return {
    sourceKind: state?.sourceKind ?? "none",
    demo: state?.sourceKind === "demo",
    recorder: recorder
      ? { degraded: recorder.degraded, buffered: recorder.buffered, dropped: recorder.dropped, lastError: recorder.lastError ?? null }
      : null,
    controllers,
    firingAlerts: firing.length,
    openAnomalies: windows.length,
    leakSuspects: suspects.length,
  };
}
