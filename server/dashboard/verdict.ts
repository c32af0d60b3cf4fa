/**
 * One controller's verdict — ok, degraded or failing — and the reasons for it, computed
 * once on the server so the overview card and the controller page's header can never
 * disagree. Pure: it takes what is true now (firing alerts, open anomaly windows, the
 * live state's stuck workers and error share, leak suspects) and says what it means.
 */

export type Verdict = "ok" | "degraded" | "failing";

export type ReasonKind = "alert" | "stuck" | "errors" | "queue" | "anomaly" | "leak";

/** One reason, linking to its evidence: the alert, the chart at that time, the suspect group. */
export interface VerdictReason {
  kind: ReasonKind;
  text: string;
  href: string;
  /** Epoch ms since when it holds, when known. */
  since: number | null;
  /** This reason alone makes the verdict failing. */
  critical: boolean;
}

export interface ControllerVerdict {
  verdict: Verdict;
  reasons: VerdictReason[];
}

export interface FiringAlertFact {
  fingerprint: string;
  labels: Record<string, string>;
  /** Epoch ms the alert started firing (or became active). */
  since: number;
}

export interface OpenWindowFact {
  id: number;
  seriesKey: string;
  /** The watched series' title, e.g. "Queue depth — pods". */
  title: string;
  controller: string | null;
  start: number;
  direction: "above" | "below";
  peakScore: number;
  /** The series whose window explains this one (one root cause), if any: its key and title. */
  explainedBy?: { key: string; title: string } | null;
}

export interface LiveFact {
  /** Reconciles running longer than the stuck threshold, longest first. */
  stuck: { key: string; runningMs: number }[];
  stuckAfterMs: number;
  lastMinute: { reconciles: number; errors: number };
  oldestQueuedAgeMs: number | null;
}

export interface LeakFact {
  id: string;
  type: string;
  /** Live leaked resources of this group attributed to the controller. */
  count: number;
  since: number;
}

export interface VerdictInput {
  controller: string;
  alerts: readonly FiringAlertFact[];
  windows: readonly OpenWindowFact[];
  live: LiveFact | null;
  leaks: readonly LeakFact[];
}

/** The chart that shows a watched series, centred on when its window opened. */
export function windowHref(window: OpenWindowFact, now: number): string {
  const from = Math.max(0, window.start - 15 * 60_000);
  const params = new URLSearchParams({ from: String(from), to: String(Math.max(now, window.start + 60_000)) });
  if (window.controller) return `/controllers/${encodeURIComponent(window.controller)}?${params}#series-${slug(window.seriesKey)}`;
  params.set("series", window.seriesKey);
  return `/explore?${params}`;
}

export function alertHref(fingerprint: string): string {
  return `/alerts?alert=${encodeURIComponent(fingerprint)}`;
}

/** Stable element ids for series keys such as `queue_depth{controller="pods"}`. */
export function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

/** Does an alert concern this controller? (a `controller` label, or the workqueue's `name`). */
export function alertConcerns(labels: Record<string, string>, controller: string): boolean {
  return labels.controller === controller || labels.name === controller;
}

const ERROR_SHARE = 0.1;
const MIN_ERRORS = 3;
const QUEUE_WAIT_MS = 30_000;

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The verdict: failing on a critical alert or a stuck worker; degraded on any other reason; else ok. */
export function controllerVerdict(input: VerdictInput, now: number): ControllerVerdict {
  const { controller } = input;
  const page = `/controllers/${encodeURIComponent(controller)}`;
  const reasons: VerdictReason[] = [];
  for (const alert of input.alerts) {
    if (!alertConcerns(alert.labels, controller)) continue;
    const severity = alert.labels.severity;
    reasons.push({
      kind: "alert",
      text: `alert ${alert.labels.alertname ?? "firing"} firing${severity ? ` (${severity})` : ""}`,
      href: alertHref(alert.fingerprint),
      since: alert.since,
      critical: severity === "critical",
    });
  }
  const live = input.live;
  if (live && live.stuck.length > 0) {
    const longest = live.stuck[0];
    reasons.push({
      kind: "stuck",
      text: `${plural(live.stuck.length, "worker")} stuck: ${longest.key} running ${Math.round(longest.runningMs / 1000)} s (over ${Math.round(live.stuckAfterMs / 1000)} s)`,
      href: `${page}#keys-in-processing`,
      since: now - longest.runningMs,
      critical: true,
    });
  }
  if (live && live.lastMinute.errors >= MIN_ERRORS && live.lastMinute.errors / Math.max(1, live.lastMinute.reconciles) >= ERROR_SHARE) {
    const share = Math.round((100 * live.lastMinute.errors) / Math.max(1, live.lastMinute.reconciles));
    reasons.push({ kind: "errors", text: `${share}% of reconciles failed in the last minute`, href: `${page}#recent-errors`, since: now - 60_000, critical: false });
  }
  if (live && live.oldestQueuedAgeMs !== null && live.oldestQueuedAgeMs >= QUEUE_WAIT_MS) {
    reasons.push({
      kind: "queue",
      text: `oldest queued key has waited ${Math.round(live.oldestQueuedAgeMs / 1000)} s`,
      href: `${page}#series-${slug(`queue_latency_p99{controller=${JSON.stringify(controller)}}`)}`,
      since: now - live.oldestQueuedAgeMs,
      critical: false,
    });
  }
  for (const window of input.windows) {
    if (window.controller !== controller) continue;
    reasons.push({
      kind: "anomaly",
      text: `anomaly: ${window.title} ${window.direction === "above" ? "above" : "below"} its expected range${window.explainedBy ? ` (explained by ${window.explainedBy.title})` : ""}`,
      href: windowHref(window, now),
      since: window.start,
      critical: false,
    });
  }
  for (const leak of input.leaks) {
    reasons.push({
      kind: "leak",
      text: `${plural(leak.count, `leaked ${leak.type} resource`)} (suspect group)`,
      href: `/leaks?group=${encodeURIComponent(leak.id)}`,
      since: leak.since,
      critical: false,
    });
  }
  const verdict: Verdict = reasons.some((r) => r.critical) ? "failing" : reasons.length > 0 ? "degraded" : "ok";
  return { verdict, reasons };
}
