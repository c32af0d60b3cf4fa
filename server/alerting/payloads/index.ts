import type { NotificationData } from "../notification-data";
import { alertmanagerEndpoint, alertmanagerPayload } from "./alertmanager";
import { discordPayload } from "./discord";
import { googleChatPayload } from "./googlechat";
import { msteamsPayload } from "./msteams";
import { slackPayload } from "./slack";
import { SIGNATURE_HEADER, signBody, webhookPayload } from "./webhook";

export const CHANNEL_KINDS = ["slack", "discord", "msteams", "googlechat", "webhook", "alertmanager"] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

/** A ready-to-send HTTP request (the URL is the channel's secret, added by the sender). */
export interface RenderedRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
}

/**
 * Renders a notification for a channel kind: the JSON body, its headers (the HMAC
 * signature for the generic webhook when a secret is set) and the target URL.
 */
export function renderRequest(kind: ChannelKind, data: NotificationData, target: { url: string; secret?: string }): RenderedRequest {
  const headers: Record<string, string> = { "content-type": "application/json", "user-agent": "Loopscope-Alerting/1" };
  let url = target.url;
  let payload: unknown;
  switch (kind) {
    case "slack":
      payload = slackPayload(data);
      break;
    case "discord":
      payload = discordPayload(data);
      break;
    case "msteams":
      payload = msteamsPayload(data);
      break;
    case "googlechat":
      payload = googleChatPayload(data);
      break;
    case "webhook":
      payload = webhookPayload(data);
      break;
    case "alertmanager":
      payload = alertmanagerPayload(data);
      url = alertmanagerEndpoint(target.url);
      break;
  }
  const body = JSON.stringify(payload);
  if (kind === "webhook" && target.secret) headers[SIGNATURE_HEADER.toLowerCase()] = signBody(body, target.secret);
  return { url, body, headers };
}

export { alertmanagerEndpoint, alertmanagerPayload } from "./alertmanager";
export { DISCORD_COLORS, DISCORD_LIMITS, discordPayload, embedTextLength } from "./discord";
export { GOOGLE_CHAT_LIMITS, googleChatPayload } from "./googlechat";
export { msteamsPayload } from "./msteams";
export { SLACK_LIMITS, slackPayload } from "./slack";
export { SIGNATURE_HEADER, signBody, webhookPayload } from "./webhook";
