import { createHash } from "node:crypto";
import type { GroupableAlert, NotifyReason } from "./grouping";
import type { Labels } from "./labels";

/** Go's zero time, which Alertmanager prints as the endsAt of a firing alert. */
export const ZERO_TIME = "0001-01-01T00:00:00Z";

/** One alert as notification templates and the webhook see it (Alertmanager's template.Alert). */
export interface NotificationAlert {
  status: "firing" | "resolved";
  labels: Labels;
  annotations: Labels;
  /** RFC 3339. */
  startsAt: string;
  /** RFC 3339; ZERO_TIME while firing. */
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/**
 * Everything a notification says, independent of the platform (Alertmanager's
 * template.Data plus the webhook's groupKey/truncatedAlerts). The outbox stores this;
 * the platform payload is rendered from it at delivery time, so a fallback channel of
 * another kind can send the same notification.
 */
export interface NotificationData {
  receiver: string;
  status: "firing" | "resolved";
  alerts: NotificationAlert[];
  groupLabels: Labels;
  commonLabels: Labels;
  commonAnnotations: Labels;
  externalURL: string;
  groupKey: string;
  truncatedAlerts: number;
  notificationReason: NotifyReason | "test";
  /** RFC 3339: until when forwarded firing alerts stay valid without a re-send (Alertmanager endsAt). */
  validUntil: string;
}

export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, "Z");
}

/** Link to the alert's page on the dashboard. */
export function alertLink(externalURL: string, fingerprint: string): string {
  return `${externalURL.replace(/\/+$/, "")}/alerts?alert=${encodeURIComponent(fingerprint)}`;
}

export function alertsPageLink(externalURL: string): string {
  return `${externalURL.replace(/\/+$/, "")}/alerts`;
}

function common(maps: Labels[]): Labels {
  if (maps.length === 0) return {};
  const out: Labels = {};
  for (const [name, value] of Object.entries(maps[0])) {
    if (maps.every((m) => m[name] === value)) out[name] = value;
  }
  return out;
}

export function buildNotificationData(input: {
  receiver: string;
  groupKey: string;
  groupLabels: Labels;
  alerts: readonly GroupableAlert[];
  reason: NotifyReason | "test";
  externalURL: string;
  validUntil: number;
  maxAlerts?: number;
}): NotificationData {
  const sorted = [...input.alerts].sort((a, b) => (a.status === b.status ? 0 : a.status === "firing" ? -1 : 1));
  const limit = input.maxAlerts && input.maxAlerts > 0 ? input.maxAlerts : sorted.length;
  const kept = sorted.slice(0, limit);
  const alerts: NotificationAlert[] = kept.map((a) => ({
    status: a.status,
    labels: a.labels,
    annotations: a.annotations,
    startsAt: rfc3339(a.startsAt),
    endsAt: a.status === "resolved" && a.endsAt !== undefined ? rfc3339(a.endsAt) : ZERO_TIME,
    generatorURL: alertLink(input.externalURL, a.fingerprint),
    fingerprint: a.fingerprint,
  }));
  return {
    receiver: input.receiver,
    status: input.alerts.some((a) => a.status === "firing") ? "firing" : "resolved",
    alerts,
    groupLabels: input.groupLabels,
    commonLabels: common(input.alerts.map((a) => a.labels)),
    commonAnnotations: common(input.alerts.map((a) => a.annotations)),
    externalURL: input.externalURL,
    groupKey: input.groupKey,
    truncatedAlerts: sorted.length - kept.length,
    notificationReason: input.reason,
    validUntil: rfc3339(input.validUntil),
  };
}

/** What the notification says (alerts and their states), for the idempotency key. */
export function contentHash(alerts: readonly GroupableAlert[]): string {
  const canonical = alerts.map((a) => [a.fingerprint, a.status, a.endsAt ?? 0]).sort();
  return createHash("sha256").update(JSON.stringify(canonical)).digest("hex");
}

/** The outbox idempotency key: group key + content hash + flush time (and channel). */
export function idempotencyKey(channelId: number, groupKey: string, hash: string, flushAt: number): string {
  return createHash("sha256").update(`${channelId}\n${groupKey}\n${hash}\n${flushAt}`).digest("hex");
}

/** A sample notification for the "send test message" action. */
export function testNotificationData(receiver: string, externalURL: string, now: number): NotificationData {
  const labels = { alertname: "LoopscopeTestMessage", severity: "info" };
  return {
    receiver,
    status: "firing",
    alerts: [
      {
        status: "firing",
        labels,
        annotations: { summary: "Test message from Loopscope", description: `If you can read this, the channel "${receiver}" works.` },
        startsAt: rfc3339(now),
        endsAt: ZERO_TIME,
        generatorURL: alertsPageLink(externalURL),
        fingerprint: "0000000000000000",
      },
    ],
    groupLabels: { alertname: "LoopscopeTestMessage" },
    commonLabels: labels,
    commonAnnotations: {},
    externalURL,
    groupKey: `{}/test:{alertname="LoopscopeTestMessage"}`,
    truncatedAlerts: 0,
    notificationReason: "test",
    validUntil: rfc3339(now + 300_000),
  };
}
