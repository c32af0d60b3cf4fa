import type { AnomalyWindowView } from "../anomaly/service";
import type { RuntimeState } from "../runtime/runtime";
import type { DashboardSources } from "./sources";
import { type ControllerVerdict, controllerVerdict, type FiringAlertFact, type LeakFact, type LiveFact, type OpenWindowFact } from "./verdict";

/** What is true right now, read once per request and shared by every verdict in it. */
export interface NowFacts {
  at: number;
  runtime: RuntimeState | null;
  alerts: FiringAlertFact[];
  /** Every open anomaly window, process-wide ones (controller null) included. */
  windows: OpenWindowFact[];
  suspects: { id: string; type: string; since: number; controllers: { controller: string; count: number }[] }[];
  /** Which reads failed, so the page can say its verdict is partial. */
  problems: string[];
}

function titleFor(window: AnomalyWindowView, titles: Map<string, string>): string {
  return titles.get(window.seriesKey) ?? window.seriesKey;
}

/** Reads firing alerts, open windows (with their series' titles), live state and leak suspects. */
export async function readNowFacts(sources: DashboardSources, at = Date.now()): Promise<NowFacts> {
  const problems: string[] = [];
  const fail = (what: string) => (error: unknown) => {
    problems.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    return [];
  };
  const [alerts, windows, watched] = await Promise.all([
    sources.alerting ? sources.alerting.alerts.list({ states: ["firing"] }).catch(fail("alerts")) : [],
    sources.anomaly ? sources.anomaly.openWindows().catch(fail("anomaly windows")) : [],
    sources.anomaly ? sources.anomaly.watched().catch(fail("watched series")) : [],
  ]);
  const titles = new Map(watched.map((w) => [w.key, w.title]));
  const runtime = sources.runtime?.state({ limit: 20 }) ?? null;
  return {
    at,
    runtime,
    alerts: alerts.map((a) => ({ fingerprint: a.fingerprint, labels: a.labels, since: (a.firedAt ?? a.activeAt).getTime() })),
    windows: windows.map((w) => ({
      id: w.id,
      seriesKey: w.seriesKey,
      title: titleFor(w, titles),
      controller: w.controller,
      start: w.start,
      direction: w.direction,
      peakScore: w.peakScore,
      explainedBy: w.explainedBy ? { key: w.explainedBy, title: titles.get(w.explainedBy) ?? w.explainedBy } : null,
    })),
    suspects: (sources.leaks?.suspects() ?? []).map((s) => ({ id: s.id, type: s.type, since: s.growingSince ?? s.firstSeen, controllers: s.controllers })),
    problems,
  };
}

function liveFact(facts: NowFacts, controller: string): LiveFact | null {
  const state = facts.runtime?.controllers.find((c) => c.name === controller);
  if (!state) return null;
  return {
    stuck: state.processing.filter((p) => p.runningMs >= state.stuckAfterMs).map((p) => ({ key: p.key, runningMs: p.runningMs })),
    stuckAfterMs: state.stuckAfterMs,
    lastMinute: state.lastMinute,
    oldestQueuedAgeMs: state.queue.oldestQueuedAgeMs,
  };
}

function leakFacts(facts: NowFacts, controller: string): LeakFact[] {
  return facts.suspects.flatMap((s) => {
    const mine = s.controllers.find((c) => c.controller === controller);
    return mine && mine.count > 0 ? [{ id: s.id, type: s.type, count: mine.count, since: s.since }] : [];
  });
}

/** The one verdict of a controller, from the facts of this request. */
export function verdictOf(facts: NowFacts, controller: string): ControllerVerdict {
  return controllerVerdict({ controller, alerts: facts.alerts, windows: facts.windows, live: liveFact(facts, controller), leaks: leakFacts(facts, controller) }, facts.at);
}
