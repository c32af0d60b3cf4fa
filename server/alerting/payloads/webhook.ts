import { createHmac } from "node:crypto";
import type { NotificationAlert, NotificationData } from "../notification-data";
import type { Labels } from "../labels";

/** Alertmanager's webhook payload, version "4", field for field. */
export interface WebhookPayloadV4 {
  version: "4";
  groupKey: string;
  truncatedAlerts: number;
  status: "firing" | "resolved";
  receiver: string;
  groupLabels: Labels;
  commonLabels: Labels;
  commonAnnotations: Labels;
  externalURL: string;
  notification_reason: string;
  alerts: NotificationAlert[];
}

/** The generic webhook body: exactly Alertmanager's webhook payload version "4". */
export function webhookPayload(data: NotificationData): WebhookPayloadV4 {
  return {
    version: "4",
    groupKey: data.groupKey,
    truncatedAlerts: data.truncatedAlerts,
    status: data.status,
    receiver: data.receiver,
    groupLabels: data.groupLabels,
    commonLabels: data.commonLabels,
    commonAnnotations: data.commonAnnotations,
    externalURL: data.externalURL,
    notification_reason: data.notificationReason,
    alerts: data.alerts.map((a) => ({
      status: a.status,
      labels: a.labels,
      annotations: a.annotations,
      startsAt: a.startsAt,
      endsAt: a.endsAt,
      generatorURL: a.generatorURL,
      fingerprint: a.fingerprint,
    })),
  };
}

export const SIGNATURE_HEADER = "X-Loopscope-Signature";

/** `sha256=<hex HMAC-SHA256 of the exact body bytes>`, as GitHub-style receivers verify it. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body, "utf8").digest("hex")}`;
}
