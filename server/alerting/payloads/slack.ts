import { alertsPageLink, type NotificationData } from "../notification-data";
import { alertHeadline, countsLine, labelList, notificationTitle, truncateChars } from "./text";

/** Slack's documented limits for incoming-webhook messages (and a margin under the observed total). */
export const SLACK_LIMITS = {
  blocks: 50,
  sectionText: 3_000,
  headerText: 150,
  contextText: 3_000,
  fallbackText: 3_000,
  /** `msg_blocks_too_long` was observed near 13k characters of block text (bolt-js#2509). */
  totalBlockText: 12_000,
} as const;

type TextObject = { type: "plain_text" | "mrkdwn"; text: string; emoji?: boolean };
export type SlackBlock =
  | { type: "header"; text: TextObject }
  | { type: "section"; text: TextObject }
  | { type: "context"; elements: TextObject[] }
  | { type: "divider" };

export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

/** Slack mrkdwn needs &, < and > escaped in user text. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Cuts escaped text without leaving half an entity such as "&am". */
function cutEscaped(text: string, max: number): string {
  const cut = truncateChars(text, max);
  return cut === text ? cut : cut.replace(/&[a-z]{0,4}…$/, "…");
}

function link(url: string, label: string): string {
  return `<${url.replace(/[|>]/g, "")}|${escapeSlack(label).replace(/[|>]/g, "")}>`;
}

/**
 * A Slack incoming-webhook message: a header, a summary section, one section per
 * alert (emoji, linked headline, description, labels), and a context line with the
 * dashboard link. Within every limit: ≤ 50 blocks, ≤ 3000 characters per section,
 * header ≤ 150, and a total block text budget; alerts that do not fit are counted.
 */
export function slackPayload(data: NotificationData): SlackMessage {
  const title = notificationTitle(data);
  const blocks: SlackBlock[] = [];
  let budget: number = SLACK_LIMITS.totalBlockText;
  const push = (block: SlackBlock, size: number) => {
    blocks.push(block);
    budget -= size;
  };
  const header = truncateChars(title, SLACK_LIMITS.headerText);
  push({ type: "header", text: { type: "plain_text", text: header, emoji: true } }, header.length);
  const summary = cutEscaped(`*${escapeSlack(countsLine(data))}* · ${escapeSlack(data.notificationReason)}`, 500);
  push({ type: "section", text: { type: "mrkdwn", text: summary } }, summary.length);

  const footerReserve = 400;
  const maxAlertBlocks = SLACK_LIMITS.blocks - blocks.length - 1;
  let shown = 0;
  for (const alert of data.alerts) {
    if (shown >= maxAlertBlocks) break;
    const room = Math.min(SLACK_LIMITS.sectionText, budget - footerReserve);
    if (room < 500) break;
    const emoji = alert.status === "firing" ? ":red_circle:" : ":large_green_circle:";
    const parts = [`${emoji} *${link(alert.generatorURL, truncateChars(alertHeadline(alert), 150))}*`];
    if (alert.annotations.description) parts.push(escapeSlack(alert.annotations.description));
    parts.push(`\`${escapeSlack(labelList(alert.labels)).replace(/`/g, "'")}\``);
    const text = cutEscaped(parts.join("\n"), room);
    push({ type: "section", text: { type: "mrkdwn", text } }, text.length);
    shown += 1;
  }
  const hidden = data.alerts.length - shown + data.truncatedAlerts;
  const footer = `${hidden > 0 ? `${hidden} more alert${hidden === 1 ? "" : "s"} not shown · ` : ""}${link(alertsPageLink(data.externalURL), "Open in Loopscope")}`;
  push({ type: "context", elements: [{ type: "mrkdwn", text: truncateChars(footer, footerReserve) }] }, Math.min(footer.length, footerReserve));

  const fallbackLines = [title, ...data.alerts.slice(0, 20).map((a) => `${a.status === "firing" ? "🔴" : "🟢"} ${alertHeadline(a)}`)];
  return { text: truncateChars(fallbackLines.join("\n"), SLACK_LIMITS.fallbackText), blocks };
}
