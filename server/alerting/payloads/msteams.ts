import { alertsPageLink, type NotificationData } from "../notification-data";
import { alertHeadline, countsLine, labelList, notificationTitle, truncateChars } from "./text";

/** Teams rejects messages over ~28 KB; the card text stays well below that. */
export const MSTEAMS_LIMITS = { title: 1_024, text: 20_000 } as const;

export interface TeamsTextBlock {
  type: "TextBlock";
  text: string;
  weight?: "Bolder";
  size?: "Medium";
  wrap: true;
  style?: "heading";
  color?: "Attention" | "Good" | "Warning";
}

export interface TeamsMessage {
  type: "message";
  attachments: {
    contentType: "application/vnd.microsoft.card.adaptive";
    contentUrl: null;
    content: {
      $schema: "http://adaptivecards.io/schemas/adaptive-card.json";
      type: "AdaptiveCard";
      version: "1.2";
      body: [TeamsTextBlock, TeamsTextBlock];
      msteams: { width: "full" };
    };
  }[];
}

function escapeMarkdown(text: string): string {
  return text.replace(/([\\`*_[\]])/g, "\\$1");
}

/**
 * A Microsoft Teams Workflows ("Post to a channel when a webhook request is received")
 * message: exactly the Adaptive Card 1.2 shape of Alertmanager's msteamsv2 notifier,
 * a heading TextBlock (Attention when firing, Good when resolved) and a text TextBlock.
 */
export function msteamsPayload(data: NotificationData): TeamsMessage {
  const title = truncateChars(notificationTitle(data), MSTEAMS_LIMITS.title);
  const lines = [`**${countsLine(data)}** · ${data.notificationReason}`, ""];
  for (const alert of data.alerts) {
    const state = alert.status === "firing" ? "🔥" : "✅";
    lines.push(`- ${state} [${escapeMarkdown(alertHeadline(alert))}](${alert.generatorURL})`);
    if (alert.annotations.description) lines.push(`  ${escapeMarkdown(alert.annotations.description)}`);
    lines.push(`  ${escapeMarkdown(labelList(alert.labels))}`);
  }
  const footer = `\n[Open in Loopscope](${alertsPageLink(data.externalURL)})`;
  const text = truncateChars(lines.join("\n"), MSTEAMS_LIMITS.text - footer.length) + footer;
  const color = data.status === "firing" ? "Attention" : data.status === "resolved" ? "Good" : "Warning";
  return {
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        contentUrl: null,
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.2",
          body: [
            { type: "TextBlock", text: title, weight: "Bolder", size: "Medium", wrap: true, style: "heading", color },
            { type: "TextBlock", text, wrap: true },
          ],
          msteams: { width: "full" },
        },
      },
    ],
  };
}
