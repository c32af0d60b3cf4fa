import { formatLabels, type Labels } from "./labels";
import { type Matcher, matchesAll } from "./matchers";

/**
 * Alertmanager's aggregation groups and notification-log decisions as pure functions:
 * which group an alert belongs to, when a group is due, and whether (and why) a flush
 * notifies. The notifier applies them to what is stored in Postgres.
 */

export interface GroupableAlert {
  fingerprint: string;
  labels: Labels;
  annotations: Labels;
  status: "firing" | "resolved";
  /** When the alert started firing. */
  startsAt: number;
  /** When it resolved (resolved alerts only). */
  endsAt?: number;
}

/** A channel's route: which alerts it takes and how it groups and times them. */
export interface RouteSettings {
  matchers: Matcher[];
  /** Label names; ["..."] groups by all labels (one group per alert); [] puts everything in one group. */
  groupBy: string[];
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  sendResolved: boolean;
}

export const DEFAULT_ROUTE: Omit<RouteSettings, "matchers"> = {
  groupBy: ["alertname"],
  groupWaitMs: 30_000,
  groupIntervalMs: 300_000,
  repeatIntervalMs: 14_400_000,
  sendResolved: true,
};

export interface AlertGroup {
  key: string;
  labels: Labels;
  alerts: GroupableAlert[];
}

/** The notification log entry of a group: what the last notification said, and when. */
export interface NotificationLogEntry {
  /** Fingerprints of the firing alerts in the last notification. */
  firing: string[];
  /** Resolved alerts already notified (`fingerprint@resolvedAt`), kept out of later notifications. */
  resolved: string[];
  at: number;
}

export type NotifyReason =
  | "first notification"
  | "new alerts added"
  | "some alerts resolved"
  | "all alerts resolved"
  | "repeat interval elapsed"
  /** Forwarded to an Alertmanager on evaluation, as Prometheus sends alerts (see forwarding.ts). */
  | "alert forwarding";

export function groupLabelsFor(labels: Labels, groupBy: readonly string[]): Labels {
  if (groupBy.includes("...")) return { ...labels };
  const out: Labels = {};
  for (const name of groupBy) if (labels[name]) out[name] = labels[name];
  return out;
}

export function groupKeyFor(routeKey: string, groupLabels: Labels): string {
  return `${routeKey}:${formatLabels(groupLabels)}`;
}

/** The alerts the route takes, by aggregation group (key → group), alerts sorted by fingerprint. */
export function groupAlerts(alerts: readonly GroupableAlert[], route: Pick<RouteSettings, "matchers" | "groupBy">, routeKey: string): Map<string, AlertGroup> {
  const groups = new Map<string, AlertGroup>();
  for (const alert of alerts) {
    if (!matchesAll(route.matchers, alert.labels)) continue;
    const labels = groupLabelsFor(alert.labels, route.groupBy);
    const key = groupKeyFor(routeKey, labels);
    let group = groups.get(key);
    if (!group) {
      group = { key, labels, alerts: [] };
      groups.set(key, group);
    }
    group.alerts.push(alert);
  }
  for (const group of groups.values()) group.alerts.sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0));
  return groups;
}

/**
 * When a group should be flushed next. The first flush waits `group_wait` from when the
 * group appeared, but happens at once for alerts older than that (as Alertmanager
 * does); later flushes come every `group_interval` after the previous one.
 */
export function groupDueAt(state: { firstSeenAt: number; lastFlushAt?: number }, alerts: readonly GroupableAlert[], route: RouteSettings): number {
  if (state.lastFlushAt !== undefined) return state.lastFlushAt + route.groupIntervalMs;
  const oldest = alerts.reduce((min, a) => Math.min(min, a.startsAt), Number.POSITIVE_INFINITY);
  return Math.min(state.firstSeenAt + route.groupWaitMs, Math.max(state.firstSeenAt, oldest + route.groupWaitMs));
}

export function resolvedKey(alert: Pick<GroupableAlert, "fingerprint" | "endsAt">): string {
  return `${alert.fingerprint}@${alert.endsAt ?? 0}`;
}

function isSubset(subset: ReadonlySet<string>, of: readonly string[]): boolean {
  const set = new Set(of);
  for (const item of subset) if (!set.has(item)) return false;
  return true;
}

/** Alertmanager's DedupStage.needsUpdate (v0.32+ reasons); undefined = do not notify. */
export function notifyReason(
  entry: NotificationLogEntry | undefined,
  firing: ReadonlySet<string>,
  resolved: ReadonlySet<string>,
  route: Pick<RouteSettings, "sendResolved" | "repeatIntervalMs">,
  now: number,
): NotifyReason | undefined {
  if (!entry) return firing.size > 0 ? "first notification" : undefined;
  if (!isSubset(firing, entry.firing)) return entry.firing.length === 0 ? "first notification" : "new alerts added";
  // Notified irrespective of send_resolved so the log forgets the firing alerts.
  if (firing.size === 0) return entry.firing.length > 0 ? "all alerts resolved" : undefined;
  if (route.sendResolved && !isSubset(resolved, entry.resolved)) return "some alerts resolved";
  return entry.at < now - route.repeatIntervalMs ? "repeat interval elapsed" : undefined;
}

export interface FlushDecision {
  reason?: NotifyReason;
  /** The alerts to put in the notification (firing first); empty = log only, send nothing. */
  send: GroupableAlert[];
  /** The log entry after this flush (unchanged when nothing is notified). */
  entry?: NotificationLogEntry;
}

/**
 * One flush of a group. Muted alerts must already be removed. Resolved alerts that a
 * previous notification already reported are left out (Alertmanager drops them from
 * the group after notifying); with send_resolved off, resolved alerts are never sent
 * but still recorded, so they are not reported later either.
 */
export function decideFlush(group: AlertGroup, entry: NotificationLogEntry | undefined, route: RouteSettings, now: number): FlushDecision {
  const alreadyResolved = new Set(entry?.resolved ?? []);
  const firing = group.alerts.filter((a) => a.status === "firing");
  const resolved = group.alerts.filter((a) => a.status === "resolved" && !alreadyResolved.has(resolvedKey(a)));
  const firingSet = new Set(firing.map((a) => a.fingerprint));
  const resolvedSet = new Set(resolved.map(resolvedKey));
  const reason = notifyReason(entry, firingSet, resolvedSet, route, now);
  if (!reason) return { send: [], entry };
  const stillPresent = group.alerts.filter((a) => a.status === "resolved" && alreadyResolved.has(resolvedKey(a))).map(resolvedKey);
  const nextEntry: NotificationLogEntry = {
    firing: [...firingSet].sort(),
    resolved: [...new Set([...stillPresent, ...resolvedSet])].sort(),
    at: now,
  };
  let send: GroupableAlert[] = [...firing, ...(route.sendResolved ? resolved : [])];
  if (firing.length === 0 && !route.sendResolved) send = [];
  return { reason, send, entry: nextEntry };
}
