import { SELF_JOB } from "../recorder/sample";
import { endAnchoredRange } from "../query/range-plan";
import type { RangeQuery } from "../query/range-query";
import { type NowFacts, readNowFacts, verdictOf } from "./facts";
import { prometheusControllerCards } from "./prometheus-controllers";
import type { DashboardSources } from "./sources";
import { alertConcerns, alertHref, type Verdict, type VerdictReason, windowHref } from "./verdict";

type Points = [number, number][];

/** One controller as the overview shows it: the verdict with its reasons, sparklines, counts. */
export interface ControllerSummary {
  name: string;
  /** built-in: reconciled by this process; scraped: a target Loopscope scrapes; prometheus: read in place from the Prometheus data source. */
  kind: "built-in" | "scraped" | "prometheus";
  source: string;
  health: Verdict;
  reasons: VerdictReason[];
  href: string;
  /** Queue depth over the selected range. */
  depthPoints: Points;
  /** Reconcile time p99 (workqueue_work_duration_seconds, the time a reconcile takes) over the range. */
  reconcileP99Points: Points;
  workersBusy: number | null;
  workersMax: number | null;
  firingAlerts: number;
  openAnomalies: number;
  leakSuspects: number;
}

/** Something wrong right now, linking to its evidence. */
export interface NowItem {
  kind: "alert" | "anomaly";
  id: string;
  title: string;
  controller: string | null;
  since: number;
  href: string;
}

export interface Overview {
  at: number;
  range: { from: number; to: number };
  sourceKind: string;
  demo: boolean;
  recorder: { degraded: boolean; buffered: number; dropped: number; lastError: string | null } | null;
  controllers: ControllerSummary[];
  /** Firing alerts and open anomaly windows, process-wide ones included, newest first. */
  now: NowItem[];
  firingAlerts: number;
  openAnomalies: number;
  leakSuspects: number;
  problems: string[];
  /** The Prometheus data source (URL, auth kind; never a credential), when one is configured. */
  prometheus: { url: string; controllers: number; lastError: string | null } | null;
}

export interface OverviewInput {
  from: number;
  to: number;
  /** Sparkline points per series. */
  points?: number;
}

/**
 * Per work queue (label `name`): Loopscope's own series (job="loopscope") under the
 * queue's name, scraped ones under their own — so a target scraping Loopscope's own
 * /metrics (another job) neither doubles a built-in controller nor adds one.
 */
async function byController(
  sources: DashboardSources,
  query: Omit<RangeQuery, "start" | "end" | "maxPoints" | "downsample" | "maxSeries" | "aggregate">,
  input: OverviewInput,
): Promise<{ own: Map<string, Points>; scraped: Map<string, Points>; problems: string[] }> {
  const own = new Map<string, Points>();
  const scraped = new Map<string, Points>();
  const problems: string[] = [];
  const out = { own, scraped, problems };
  if (!sources.query) return out;
  const result = await sources.query
    .range({
      ...query,
      ...endAnchoredRange({ start: input.from, end: input.to, maxPoints: input.points ?? 60 }),
      maxPoints: input.points ?? 60,
      aggregate: { op: "sum", by: ["job", "name"] },
      downsample: "minmax",
      maxSeries: 200,
    })
    .catch((error: unknown) => {
      // The cards still show (with empty sparklines); the page says why.
      problems.push(`${query.metric} sparklines: ${error instanceof Error ? error.message : String(error)}`);
      return { series: [] as { labels: Record<string, string>; points: Points }[] };
    });
  for (const series of result.series) {
    const name = series.labels.name ?? "";
    if (series.labels.job === SELF_JOB) own.set(name, series.points as Points);
    else if (!scraped.has(name)) scraped.set(name, series.points as Points);
  }
  return out;
}

function explainsNote(explained: number): string {
  return explained === 0 ? "" : ` (and ${explained} controller duration window${explained === 1 ? "" : "s"} it explains)`;
}

/** The "now" list: firing alerts and open windows (every one, process-wide too; explained ones under their cause), newest first. */
export function nowItems(facts: NowFacts): NowItem[] {
  const items: NowItem[] = [
    ...facts.alerts.map((a) => ({
      kind: "alert" as const,
      id: a.fingerprint,
      title: `${a.labels.alertname ?? "alert"}${a.labels.severity ? ` (${a.labels.severity})` : ""}`,
      controller: a.labels.controller ?? a.labels.name ?? null,
      since: a.since,
      href: alertHref(a.fingerprint),
    })),
    // A window explained by another is that one's incident: listed once, under its cause.
    ...facts.windows.filter((w) => !w.explainedBy).map((w) => ({
      kind: "anomaly" as const,
      id: String(w.id),
      title: `${w.title} ${w.direction} expected${explainsNote(facts.windows.filter((o) => o.explainedBy?.key === w.seriesKey).length)}`,
      controller: w.controller,
      since: w.start,
      href: windowHref(w, facts.at),
    })),
  ];
  return items.sort((a, b) => b.since - a.since);
}

/**
 * Everything the overview shows in one call: each controller (in-process ones and those seen
 * in scraped workqueue metrics) with its verdict, sparklines over the selected range, and
 * what is wrong right now.
 */
export async function buildOverview(sources: DashboardSources, input: OverviewInput, at = Date.now()): Promise<Overview> {
  const [facts, depth, p99, remote] = await Promise.all([
    readNowFacts(sources, at),
    byController(sources, { metric: "workqueue_depth", matchers: [], fn: "raw" }, input),
    byController(
      sources,
      { metric: "workqueue_work_duration_seconds", matchers: [], fn: "histogram_quantile", quantile: 0.99 },
      input,
    ),
    prometheusControllerCards(sources, input),
  ]);
  const state = facts.runtime;
  const names = new Map<string, { kind: ControllerSummary["kind"]; source: string }>();
  for (const c of state?.controllers ?? []) names.set(c.name, { kind: "built-in", source: state?.sourceKind ?? "none" });
  // A follower runs no controllers; the leader's show from their recorded series.
  for (const name of depth.own.keys()) if (name && !names.has(name)) names.set(name, { kind: "built-in", source: state?.sourceKind ?? "recorded" });
  // Prometheus controllers' names never clash with Loopscope's own (discovery qualifies them); over a scraped one of the same name, the Prometheus one is listed.
  const inPrometheus = new Map(remote.cards.filter((c) => !names.has(c.controller.name)).map((c) => [c.controller.name, c]));
  for (const name of inPrometheus.keys()) names.set(name, { kind: "prometheus", source: "prometheus" });
  for (const name of depth.scraped.keys()) if (name && !names.has(name)) names.set(name, { kind: "scraped", source: "scrape target" });

  const controllers = [...names.entries()].map(([name, origin]): ControllerSummary => {
    const live = state?.controllers.find((c) => c.name === name);
    const card = origin.kind === "prometheus" ? inPrometheus.get(name) : undefined;
    const { verdict, reasons } = verdictOf(facts, name);
    return {
      name,
      kind: origin.kind,
      source: origin.source,
      health: verdict,
      reasons,
      href: `/controllers/${encodeURIComponent(name)}`,
      depthPoints: card ? card.depthPoints : ((origin.kind === "built-in" ? depth.own : depth.scraped).get(name) ?? []),
      reconcileP99Points: card ? card.reconcileP99Points : ((origin.kind === "built-in" ? p99.own : p99.scraped).get(name) ?? []),
      workersBusy: live?.workers.busy ?? card?.workersBusy ?? null,
      workersMax: live?.workers.max ?? card?.workersMax ?? null,
      firingAlerts: facts.alerts.filter((a) => alertConcerns(a.labels, name)).length,
      openAnomalies: facts.windows.filter((w) => w.controller === name).length,
      leakSuspects: facts.suspects.filter((s) => s.controllers.some((c) => c.controller === name && c.count > 0)).length,
    };
  });

  const recorder = sources.recorder?.status();
  return {
    at,
    range: { from: input.from, to: input.to },
    sourceKind: state?.sourceKind ?? "none",
    demo: state?.sourceKind === "demo",
    recorder: recorder ? { degraded: recorder.degraded, buffered: recorder.buffered, dropped: recorder.dropped, lastError: recorder.lastError ?? null } : null,
    controllers,
    now: nowItems(facts),
    firingAlerts: facts.alerts.length,
    openAnomalies: facts.windows.length,
    leakSuspects: facts.suspects.length,
    problems: [...facts.problems, ...depth.problems, ...p99.problems, ...remote.problems],
    prometheus: sources.prometheus ? (({ url, controllers: count, lastError }) => ({ url, controllers: count, lastError }))(sources.prometheus.status()) : null,
  };
}
