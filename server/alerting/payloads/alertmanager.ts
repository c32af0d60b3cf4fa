import type { Labels } from "../labels";
import type { NotificationData } from "../notification-data";

/** One alert in Alertmanager's `POST /api/v2/alerts` body (postableAlert). */
export interface PostableAlert {
  labels: Labels;
  annotations: Labels;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
}

/**
 * Alerts forwarded to an existing Alertmanager. Firing alerts carry `endsAt` =
 * validUntil (beyond the next guaranteed re-send), as Prometheus does, so Alertmanager
 * resolves them by itself if Loopscope stops sending; resolved ones carry their end.
 */
export function alertmanagerPayload(data: NotificationData): PostableAlert[] {
  return data.alerts.map((a) => ({
    labels: a.labels,
    annotations: a.annotations,
    startsAt: a.startsAt,
    endsAt: a.status === "resolved" ? a.endsAt : data.validUntil,
    generatorURL: a.generatorURL,
  }));
}

/** The API endpoint for a configured Alertmanager base URL (idempotent). */
export function alertmanagerEndpoint(baseUrl: string): string {
  const url = new URL(baseUrl);
  if (!url.pathname.endsWith("/api/v2/alerts")) url.pathname = `${url.pathname.replace(/\/+$/, "")}/api/v2/alerts`;
  return url.toString();
}
