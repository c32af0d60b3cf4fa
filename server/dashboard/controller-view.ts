import type { RetriedInRange } from "../runtime/controller/state";
import type { FaultWindow } from "../runtime/runtime";
import { type AlertSpan, alertSpans } from "./alert-spans";
import { type PanelSpec, type PanelTarget, type PanelUnit, controllerPanels } from "./controller-panels";
import { readNowFacts, verdictOf } from "./facts";
import { type PackedSeries, packSeries, roundValue } from "./packed-series";
import type { DashboardSources } from "./sources";
import { TtlCache } from "./ttl-cache";
import { alertConcerns, slug, type Verdict, type VerdictReason } from "./verdict";

export interface PanelWindow {
  id: number;
  seriesKey: string;
  start: number;
  end: number | null;
  peakScore: number;
  direction: "above" | "below";
  /** The series whose window explains this one (one root cause), or null. */
  explainedBy: string | null;
}

/** One chart, ready to draw: series downsampled to the chart's width, its band and windows. */
export interface PanelData {
  id: string;
  /** Element ids this chart answers to (`series-<watched series key>`), for reasons' links. */
  anchors: string[];
  title: string;
  unit: PanelUnit;
  stacked: boolean;
  series: { name: string; packed: PackedSeries }[];
  /** Expected band: timestamps as deltas, lower and upper (clamped at 0). */
  band: { t0: number; dt: number[]; lower: number[]; upper: number[] } | null;
  windows: PanelWindow[];
  error: string | null;
}

export interface LiveTables {
  /** Epoch ms the live state was read. */
  at: number;
  workers: { busy: number; max: number };
  queue: { depth: number; length: number; delayed: number; processing: number; oldestQueuedAgeMs: number | null };
  processing: { key: string; runningMs: number; reconcileId: number; timedOut: boolean }[];
  stuckAfterMs: number;
  hotKeys: { key: string; adds: number }[];
  recentErrors: { at: number; key: string; message: string; kind: string; reconcileId: number }[];
}

export interface ControllerView {
  name: string;
  /** Where its series are read: Loopscope's store (built-in and scraped controllers) or the Prometheus data source. */
  source: "local" | "prometheus";
  at: number;
  range: { from: number; to: number };
  known: boolean;
  health: Verdict;
  reasons: VerdictReason[];
  live: LiveTables | null;
  /** Keys retried within the range (not only those still failing). */
  retried: RetriedInRange[];
  panels: PanelData[];
  alertSpans: AlertSpan[];
  /** The demo's fault schedule overlapping the range (ground truth); null for a real cluster. */
  faults: FaultWindow[] | null;
}

export interface ControllerViewInput {
  name: string;
  from: number;
  to: number;
  /** The charts' plot width in pixels: at most this many points per series. */
  width: number;
}

const MAX_MESSAGE = 400;
const BAND_POINTS = 120;

interface BandSample {
  ts: number;
  lower: number;
  upper: number;
}

/** The band's points where it is known, about BAND_POINTS of them, clamped at 0: every charted quantity is non-negative. */
export function thinBand(points: readonly { ts: number; lower: number | null; upper: number | null }[]): BandSample[] {
  const usable = points.filter((p) => p.lower !== null && p.upper !== null);
  const every = Math.max(1, Math.ceil(usable.length / BAND_POINTS));
  return usable
    .filter((_, i) => i % every === 0 || i === usable.length - 1)
    .map((p) => ({ ts: p.ts, lower: Math.max(0, p.lower as number), upper: Math.max(0, p.upper as number) }));
}

function packBand(picked: readonly BandSample[]): PanelData["band"] {
  if (picked.length === 0) return null;
  const dt: number[] = [];
  const lower: number[] = [];
  const upper: number[] = [];
  let previous = picked[0].ts;
  for (const p of picked) {
    dt.push(p.ts - previous);
    previous = p.ts;
    lower.push(roundValue(p.lower));
    upper.push(roundValue(p.upper));
  }
  return { t0: picked[0].ts, dt, lower, upper };
}

const bandCache = new TtlCache<BandSample[]>(500);

/**
 * The span of one band point on a chart of [from, to]: whole minutes, at least one. Bands are
 * computed over ranges widened to whole grains, so requests a few seconds apart (another
 * refresh, another width, another viewer) share one computation.
 */
export function bandGrain(from: number, to: number): number {
  return Math.max(1, Math.ceil((to - from) / BAND_POINTS / 60_000)) * 60_000;
}

/** The newest band computed per watched series and grain, served while the next grain's is computed. */
const latestBands = new Map<string, { key: string; at: number; samples: BandSample[] }>();
const MAX_LATEST_BANDS = 500;

/**
 * A watched series' expected band over [from, to]. Computing one replays the detector over the
 * range and two hours before it, most of a controller page's server time, and a chart shows one
 * band point per grain anyway; so it is computed over the range widened to whole grains and kept
 * for a grain while the range is live, five minutes once it is past. When a live range enters a
 * new grain, the band of the previous one (at most two grains old at its newest end) is answered
 * while the new one is computed for the next request, so the charts never wait for a replay they
 * had a moment ago.
 */
export function bandOf(sources: DashboardSources, seriesKey: string, from: number, to: number, at: number): Promise<BandSample[]> {
  const anomaly = sources.anomaly;
  if (!anomaly) return Promise.resolve([]);
  const grain = bandGrain(from, to);
  const start = Math.floor(from / grain) * grain;
  const end = Math.ceil(to / grain) * grain;
  const live = end > at - grain;
  const key = JSON.stringify([seriesKey, start, end]);
  const inRange = (samples: BandSample[]) => samples.filter((p) => p.ts >= from && p.ts <= to);
  const computed = bandCache.get(key, live ? grain : 300_000, async () => thinBand(await anomaly.band(seriesKey, start, Math.min(end, at)))).then((samples) => {
    if (live) {
      const latestKey = JSON.stringify([seriesKey, grain]);
      latestBands.delete(latestKey);
      latestBands.set(latestKey, { key, at, samples });
      while (latestBands.size > MAX_LATEST_BANDS) latestBands.delete(latestBands.keys().next().value as string);
    }
    return samples;
  });
  const latest = live ? latestBands.get(JSON.stringify([seriesKey, grain])) : undefined;
  if (latest && latest.key !== key && at - latest.at < 2 * grain) {
    computed.catch(() => undefined);
    return Promise.resolve(inRange(latest.samples));
  }
  return computed.then(inRange);
}

async function panelData(sources: DashboardSources, spec: PanelSpec, input: ControllerViewInput, at: number): Promise<PanelData> {
  const start = Math.floor(input.from);
  const end = Math.floor(input.to);
  const windowKeys = [...(spec.seriesKey ? [spec.seriesKey] : []), ...(spec.windowsOf ?? [])];
  const [results, band, windows] = await Promise.all([
    Promise.allSettled(
      spec.queries.map((q) => (sources.query ? sources.query.range({ ...q.query, start, end, maxPoints: input.width, downsample: "minmax", maxSeries: 20 }) : Promise.reject(new Error("no query service")))),
    ),
    spec.seriesKey && end - start <= 7 * 86_400_000 ? bandOf(sources, spec.seriesKey, start, end, at).catch(() => []) : Promise.resolve([]),
    sources.anomaly ? Promise.all(windowKeys.map((key) => sources.anomaly?.windows({ seriesKey: key, from: start, to: end, limit: 200 }).catch(() => []) ?? [])) : Promise.resolve([]),
  ]);
  const series: PanelData["series"] = [];
  let error: string | null = null;
  results.forEach((result, i) => {
    const q = spec.queries[i];
    if (result.status === "rejected") {
      error = result.reason instanceof Error ? result.reason.message : String(result.reason);
      return;
    }
    for (const s of result.value.series) series.push({ name: q.nameBy ? (s.labels[q.nameBy] ?? q.name) : q.name, packed: packSeries(s.points) });
  });
  return {
    id: spec.id,
    anchors: windowKeys.map((k) => `series-${slug(k)}`),
    title: spec.title,
    unit: spec.unit,
    stacked: spec.stacked ?? false,
    series,
    band: packBand(band),
    windows: windows.flat().map((w) => ({ id: w.id, seriesKey: w.seriesKey, start: w.start, end: w.end, peakScore: w.peakScore, direction: w.direction, explainedBy: w.explainedBy })),
    error,
  };
}

const chartCache = new TtlCache<{ panels: PanelData[]; alertSpans: AlertSpan[] }>();

/** Fixed past ranges never change; live ones are re-read every few seconds. */
function ttlFor(input: ControllerViewInput, now: number): number {
  return input.to < now - 120_000 ? 300_000 : 4_000;
}

/** What is true now on a controller page: the verdict (the same function as the overview's), live tables, retried keys, faults. */
export type ControllerNow = Omit<ControllerView, "panels" | "alertSpans">;

/** The charts of a controller page: every panel downsampled to its pixel width, with bands, windows and alert spans. */
export type ControllerCharts = Pick<ControllerView, "panels" | "alertSpans">;

/**
 * The fast half of the controller page (answered first in the page's one batched request):
 * the verdict, the live tables, keys retried in the range and the demo's fault timeline.
 */
export async function buildControllerNow(sources: DashboardSources, input: Omit<ControllerViewInput, "width">, at = Date.now()): Promise<ControllerNow> {
  const facts = await readNowFacts(sources, at);
  const { verdict, reasons } = verdictOf(facts, input.name);
  const controller = sources.runtime?.controller(input.name);
  const state = facts.runtime?.controllers.find((c) => c.name === input.name) ?? null;
  const faults = sources.runtime?.faults() ?? null;
  const inPrometheus = state === null && (await panelTargetOf(sources, input.name)) !== undefined;
  return {
    name: input.name,
    at,
    range: { from: input.from, to: input.to },
    known: state !== null || inPrometheus,
    source: inPrometheus ? "prometheus" : "local",
    health: verdict,
    reasons,
    live: state
      ? {
          at,
          workers: state.workers,
          queue: state.queue,
          processing: state.processing.map((p) => ({ key: p.key, runningMs: p.runningMs, reconcileId: p.reconcileId, timedOut: p.timedOut })),
          stuckAfterMs: state.stuckAfterMs,
          hotKeys: state.hotKeys,
          recentErrors: state.recentErrors.map((e) => ({ at: e.at, key: e.key, message: e.message.slice(0, MAX_MESSAGE), kind: e.kind, reconcileId: e.reconcileId })),
        }
      : null,
    retried: controller ? controller.retriedBetween(input.from, input.to, 20).map((r) => ({ ...r, lastError: r.lastError?.slice(0, MAX_MESSAGE) ?? null })) : [],
    faults: faults ? faults.windows.filter((w) => w.startAt <= input.to && (w.endAt === null || w.endAt >= input.from)) : null,
  };
}

/**
 * Where a controller's series are: the Prometheus data source for a controller discovered there
 * (Loopscope's own controllers keep their names, so a name the runtime runs is always local),
 * else Loopscope's store.
 */
export async function panelTargetOf(sources: DashboardSources, name: string): Promise<PanelTarget | undefined> {
  if (!sources.prometheus || sources.runtime?.controller(name)) return undefined;
  const found = await sources.prometheus.controller(name).catch(() => undefined);
  return found ? { source: "prometheus", queueMatchers: found.queueMatchers, controllerMatchers: found.controllerMatchers } : undefined;
}

/** The charts half of the controller page, cached per range and width. */
export function buildControllerCharts(sources: DashboardSources, input: ControllerViewInput, at = Date.now()): Promise<ControllerCharts> {
  const key = JSON.stringify([input.name, Math.floor(input.from), Math.floor(input.to), input.width]);
  return chartCache.get(key, ttlFor(input, at), async () => {
    const target = await panelTargetOf(sources, input.name);
    const [panels, history] = await Promise.all([
      Promise.all(controllerPanels(input.name, target).map((spec) => panelData(sources, spec, input, at))),
      sources.alerting ? sources.alerting.alerts.history({ from: new Date(input.from), to: new Date(input.to), limit: 2_000 }).catch(() => []) : Promise.resolve([]),
    ]);
    return { panels, alertSpans: alertSpans(history, (labels) => alertConcerns(labels, input.name)) };
  });
}

/** Everything the controller page shows, in one call (both halves). */
export async function buildControllerView(sources: DashboardSources, input: ControllerViewInput, at = Date.now()): Promise<ControllerView> {
  const [now, charts] = await Promise.all([buildControllerNow(sources, input, at), buildControllerCharts(sources, input, at)]);
  return { ...now, ...charts, known: now.known || charts.panels.some((p) => p.series.length > 0) };
}
