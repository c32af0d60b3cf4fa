import type { Labels } from "../labels";
import type { NotificationAlert, NotificationData } from "../notification-data";

export const ELLIPSIS = "…";

/**
 * Cuts `text` to at most `max` UTF-16 code units (≥ the characters platforms count),
 * ending with "…" when cut and never splitting a surrogate pair.
 */
export function truncateChars(text: string, max: number): string {
  if (max <= 0) return "";
  if (text.length <= max) return text;
  if (max === 1) return ELLIPSIS;
  let cut = max - 1;
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return text.slice(0, cut) + ELLIPSIS;
}

const utf8 = (text: string) => Buffer.byteLength(text, "utf8");

/** Cuts `text` so that `measure(text)` ≤ `max` bytes, ending with "…" when cut. */
export function truncateToFit(text: string, max: number, measure: (candidate: string) => number = utf8): string {
  if (measure(text) <= max) return text;
  const points = Array.from(text);
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (measure(points.slice(0, mid).join("") + ELLIPSIS) <= max) lo = mid;
    else hi = mid - 1;
  }
  const cut = points.slice(0, lo).join("") + ELLIPSIS;
  return measure(cut) <= max ? cut : "";
}

/** Alertmanager's default title: `[FIRING:2] QueueBackingUp pods (warning)`. */
export function notificationTitle(data: NotificationData): string {
  const firing = data.alerts.filter((a) => a.status === "firing").length;
  const status = data.notificationReason === "test" ? "TEST" : data.status === "firing" ? `FIRING:${firing}` : "RESOLVED";
  const groupValues = Object.keys(data.groupLabels)
    .sort()
    .map((k) => data.groupLabels[k]);
  const extra = Object.keys(data.commonLabels)
    .filter((k) => !(k in data.groupLabels))
    .sort()
    .map((k) => data.commonLabels[k]);
  return `[${status}] ${groupValues.join(" ")}${extra.length > 0 ? ` (${extra.join(" ")})` : ""}`.trim();
}

export function alertHeadline(alert: NotificationAlert): string {
  return alert.annotations.summary || alert.labels.alertname || alert.fingerprint;
}

export function labelList(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(", ");
}

export function countsLine(data: NotificationData): string {
  const firing = data.alerts.filter((a) => a.status === "firing").length;
  const resolved = data.alerts.length - firing;
  const parts: string[] = [];
  if (firing > 0) parts.push(`${firing} firing`);
  if (resolved > 0) parts.push(`${resolved} resolved`);
  if (data.truncatedAlerts > 0) parts.push(`${data.truncatedAlerts} more not shown`);
  return parts.join(", ");
}
