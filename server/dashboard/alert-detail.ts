import type { AlertEventView } from "../alerting/alert-store";
import type { AlertRule } from "../alerting/rule-schema";
import { type PackedSeries, packSeries } from "./packed-series";
import type { DashboardSources } from "./sources";

/** One alert as its detail page shows it: what it is, why, its query over its life, what was sent. */
export interface AlertDetail {
  fingerprint: string;
  found: boolean;
  state: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  runbookUrl: string | null;
  value: number | null;
  activeAt: number | null;
  firedAt: number | null;
  resolvedAt: number | null;
  rule: { id: number; name: string; kind: string; expression: string; forMs: number; enabled: boolean } | null;
  /** The rule's query charted over the alert's life (with lead-in), and the threshold it is compared with. */
  chart: {
    from: number;
    to: number;
    series: { name: string; packed: PackedSeries }[];
    threshold: { comparator: string; value: number } | null;
    note: string | null;
  };
  events: { state: string; at: number; value: number | null }[];
  notifications: {
    id: number;
    channel: string;
    status: string;
    state: string;
    attempts: number;
    createdAt: number;
    deliveredAt: number | null;
    lastError: string | null;
    lastStatusCode: number | null;
  }[];
  silencedBy: number[];
}

const LEAD_MS = 30 * 60_000;
const MIN_SPAN_MS = 15 * 60_000;

/** A one-line PromQL-like form of a threshold or absent rule's query. */
export function ruleExpression(rule: AlertRule): string {
  if (rule.kind === "anomaly") return `anomaly score ≥ ${rule.spec.minScore}${rule.spec.seriesKey ? ` on ${rule.spec.seriesKey}` : ""}`;
  if (rule.kind === "leak") return `leak growth ≥ ${rule.spec.minSlope}/min for ${Math.round(rule.spec.sustainedMs / 1000)} s`;
  const q = rule.spec.query;
  const selector = `${q.metric}${q.matchers.length > 0 ? `{${q.matchers.map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`).join(",")}}` : ""}`;
  const range = q.rangeMs ? `[${Math.round(q.rangeMs / 1000)}s]` : "";
  let expr = q.fn === "raw" ? selector : q.fn === "histogram_quantile" ? `histogram_quantile(${q.q}, rate(${selector}${range}))` : `${q.fn}(${selector}${range})`;
  if (q.agg) expr = `${q.agg}${q.by && q.by.length > 0 ? ` by (${q.by.join(", ")})` : ""} (${expr})`;
  if (rule.kind === "absent") return `absent(${expr}) for ${Math.round(rule.spec.forMs / 1000)} s`;
  return `${expr} ${rule.spec.comparator} ${rule.spec.value}`;
}

/** Does a series belong to this alert? Its labels must agree with the alert's on every label they share. */
function belongsTo(seriesLabels: Record<string, string>, alertLabels: Record<string, string>): boolean {
  return Object.entries(seriesLabels).every(([k, v]) => k === "__name__" || alertLabels[k] === undefined || alertLabels[k] === v);
}

function time(d: Date | null | undefined): number | null {
  return d ? d.getTime() : null;
}

async function chartOf(sources: DashboardSources, rule: AlertRule | null, labels: Record<string, string>, from: number, to: number, width: number): Promise<AlertDetail["chart"]> {
  const empty = { from, to, series: [], threshold: null };
  if (!rule || (rule.kind !== "threshold" && rule.kind !== "absent")) return { ...empty, note: rule ? `A ${rule.kind} rule has no query to chart.` : "The rule no longer exists." };
  if (!sources.query) return { ...empty, note: "The query service is not running." };
  const q = rule.spec.query;
  const result = await sources.query
    .range({
      metric: q.metric,
      matchers: q.matchers,
      start: from,
      end: to,
      maxPoints: width,
      fn: q.fn,
      quantile: q.q,
      windowMs: q.rangeMs,
      aggregate: q.agg ? { op: q.agg, by: q.by ?? [] } : undefined,
      downsample: "minmax",
      maxSeries: 50,
      source: q.source,
    })
    .catch((error: unknown) => error as Error);
  if (result instanceof Error) return { ...empty, note: `The query failed: ${result.message}` };
  const mine = result.series.filter((s) => belongsTo(s.labels, labels));
  return {
    from,
    to,
    series: mine.map((s) => ({
      name: Object.entries(s.labels)
        .filter(([k]) => k !== "__name__")
        .map(([k, v]) => `${k}=${v}`)
        .join(", ") || q.metric,
      packed: packSeries(s.points),
    })),
    threshold: rule.kind === "threshold" ? { comparator: rule.spec.comparator, value: rule.spec.value } : null,
    note: mine.length === 0 ? "No recorded data for this alert's series in this range." : null,
  };
}

/** Everything about one alert by fingerprint (the id notifications carry in `/alerts?alert=<id>`). */
export async function buildAlertDetail(sources: DashboardSources, fingerprint: string, width = 800, now = Date.now()): Promise<AlertDetail> {
  const alerting = sources.alerting;
  const [current, history] = await Promise.all([
    alerting ? alerting.alerts.list({}).then((all) => all.find((a) => a.fingerprint === fingerprint)) : undefined,
    alerting ? alerting.alerts.history({ fingerprint, limit: 500 }) : ([] as AlertEventView[]),
  ]);
  const ruleId = current?.ruleId ?? history[0]?.ruleId;
  const rule = ruleId !== undefined && alerting ? await alerting.rules.get(ruleId).catch(() => null) : null;
  const labels = current?.labels ?? history[0]?.labels ?? {};
  const annotations = current?.annotations ?? {};
  const events = history.map((e) => ({ state: e.state, at: e.at.getTime(), value: e.value })).sort((a, b) => a.at - b.at);
  const start = current ? current.activeAt.getTime() : (events[0]?.at ?? now - LEAD_MS);
  const end = current?.resolvedAt?.getTime() ?? (current ? now : (events.at(-1)?.at ?? now));
  const from = Math.max(0, start - LEAD_MS);
  const to = Math.min(now, Math.max(end + 5 * 60_000, from + MIN_SPAN_MS));
  const [chart, notifications, channels, muting] = await Promise.all([
    chartOf(sources, rule, labels, from, to, width),
    sources.notifier ? sources.notifier.outbox.forAlert(fingerprint, 50).catch(() => []) : [],
    sources.notifier ? sources.notifier.channels.list().catch(() => []) : [],
    sources.notifier ? sources.notifier.currentMuting(now).catch(() => null) : null,
  ]);
  const channelName = new Map(channels.map((c) => [c.id, c.name]));
  return {
    fingerprint,
    found: current !== undefined || history.length > 0,
    state: current?.state ?? (history.length > 0 ? "resolved (expired)" : "unknown"),
    labels,
    annotations,
    runbookUrl: annotations.runbook_url ?? rule?.annotations.runbook_url ?? null,
    value: current?.value ?? null,
    activeAt: time(current?.activeAt),
    firedAt: time(current?.firedAt),
    resolvedAt: time(current?.resolvedAt),
    rule: rule ? { id: rule.id, name: rule.name, kind: rule.kind, expression: ruleExpression(rule), forMs: rule.forMs, enabled: rule.enabled } : null,
    chart,
    events,
    notifications: notifications.map((n) => ({
      id: n.id,
      channel: channelName.get(n.channelId) ?? `channel ${n.channelId}`,
      status: n.status,
      state: n.state,
      attempts: n.attempts,
      createdAt: n.createdAt.getTime(),
      deliveredAt: time(n.deliveredAt),
      lastError: n.lastError,
      lastStatusCode: n.lastStatusCode,
    })),
    silencedBy: muting?.silencedBy.get(fingerprint) ?? [],
  };
}
