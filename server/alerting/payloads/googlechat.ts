import { alertsPageLink, type NotificationData } from "../notification-data";
import { alertHeadline, countsLine, labelList, notificationTitle, truncateChars, truncateToFit } from "./text";

/** Google Chat: a message (text + cards) may be at most 32,000 bytes. */
export const GOOGLE_CHAT_LIMITS = { messageBytes: 32_000 } as const;

export interface GoogleChatMessage {
  text: string;
}

/** Google Chat links are `<url|text>`; the text must not contain `|` or `>`. */
function link(url: string, label: string): string {
  return `<${url}|${label.replace(/[|<>]/g, " ")}>`;
}

/**
 * A Google Chat incoming-webhook message `{text}` with Chat's formatting (*bold*,
 * `code`, <url|text> links). The whole JSON body is kept within 32,000 bytes; when
 * cut, the dashboard link stays at the end.
 */
export function googleChatPayload(data: NotificationData): GoogleChatMessage {
  const header = `*${truncateChars(notificationTitle(data), 500)}*\n${countsLine(data)} · ${data.notificationReason}\n`;
  const lines: string[] = [];
  for (const alert of data.alerts) {
    lines.push(`${alert.status === "firing" ? "🔴" : "🟢"} ${link(alert.generatorURL, truncateChars(alertHeadline(alert), 300))}`);
    if (alert.annotations.description) lines.push(alert.annotations.description);
    lines.push(`\`${labelList(alert.labels).replace(/`/g, "'")}\``);
  }
  const footer = `\n${link(alertsPageLink(data.externalURL), "Open in Loopscope")}`;
  const measure = (body: string) => Buffer.byteLength(JSON.stringify({ text: header + body + footer }), "utf8");
  // A UTF-16 unit is at least one byte of JSON, so this first cut never drops text that could fit.
  const body = truncateToFit(truncateChars(lines.join("\n"), GOOGLE_CHAT_LIMITS.messageBytes), GOOGLE_CHAT_LIMITS.messageBytes, measure);
  const text = header + body + footer;
  if (Buffer.byteLength(JSON.stringify({ text }), "utf8") <= GOOGLE_CHAT_LIMITS.messageBytes) return { text };
  // Only reachable with an absurd header: cut everything as one.
  return { text: truncateToFit(text, GOOGLE_CHAT_LIMITS.messageBytes, (t) => Buffer.byteLength(JSON.stringify({ text: t }), "utf8")) };
}
