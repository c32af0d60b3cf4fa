import { alertsPageLink, type NotificationAlert, type NotificationData } from "../notification-data";
import { alertHeadline, countsLine, notificationTitle, truncateChars } from "./text";

/** Discord's documented webhook limits (and Alertmanager's colours). */
export const DISCORD_LIMITS = {
  content: 2_000,
  embeds: 10,
  title: 256,
  description: 4_096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1_024,
  footer: 2_048,
  authorName: 256,
  totalEmbedText: 6_000,
} as const;

export const DISCORD_COLORS = { firing: 0x992d22, resolved: 0x2ecc71, other: 0x95a5a6 } as const;

export interface DiscordEmbed {
  title: string;
  description?: string;
  url?: string;
  color: number;
  fields?: { name: string; value: string; inline?: boolean }[];
  footer?: { text: string };
  timestamp?: string;
}

export interface DiscordMessage {
  content: string;
  embeds: DiscordEmbed[];
  username: string;
  allowed_mentions: { parse: string[] };
}

/** The characters Discord counts towards the 6000 total of a message's embeds. */
export function embedTextLength(embed: DiscordEmbed): number {
  let n = embed.title.length + (embed.description?.length ?? 0) + (embed.footer?.text.length ?? 0);
  for (const f of embed.fields ?? []) n += f.name.length + f.value.length;
  return n;
}

function alertEmbed(alert: NotificationAlert, budget: number): DiscordEmbed {
  const title = truncateChars(`${alert.status === "firing" ? "🔥" : "✅"} ${alertHeadline(alert)}`, Math.min(DISCORD_LIMITS.title, Math.max(16, Math.floor(budget / 4))));
  const footer = truncateChars(`${alert.status} · since ${alert.startsAt}`, Math.min(DISCORD_LIMITS.footer, 80));
  let remaining = budget - title.length - footer.length;
  const fields: { name: string; value: string; inline: boolean }[] = [];
  let fieldBudget = Math.floor(remaining / 2);
  for (const name of Object.keys(alert.labels).sort()) {
    if (fields.length >= Math.min(DISCORD_LIMITS.fields, 12) || name === "alertname" || !alert.labels[name] || !name) continue;
    const fieldName = truncateChars(name, 64);
    const room = Math.min(DISCORD_LIMITS.fieldValue, 200, fieldBudget - fieldName.length);
    if (room < 8) break;
    const value = truncateChars(alert.labels[name], room);
    fields.push({ name: fieldName, value, inline: true });
    fieldBudget -= fieldName.length + value.length;
    remaining -= fieldName.length + value.length;
  }
  const description = truncateChars(alert.annotations.description ?? "", Math.min(DISCORD_LIMITS.description, Math.max(0, remaining)));
  const embed: DiscordEmbed = {
    title,
    url: alert.generatorURL,
    color: alert.status === "firing" ? DISCORD_COLORS.firing : DISCORD_COLORS.resolved,
    footer: { text: footer },
    timestamp: alert.status === "resolved" ? alert.endsAt : alert.startsAt,
  };
  if (description) embed.description = description;
  if (fields.length > 0) embed.fields = fields;
  return embed;
}

/**
 * A Discord webhook message: the title and dashboard link in `content`, one embed per
 * alert coloured like Alertmanager's (firing 0x992D22, resolved 0x2ECC71). Within
 * Discord's limits: content ≤ 2000, ≤ 10 embeds (the tenth summarises the rest),
 * per-field limits, and ≤ 6000 characters of embed text in total. Mentions are
 * disabled so label values cannot ping anyone.
 */
export function discordPayload(data: NotificationData): DiscordMessage {
  const title = notificationTitle(data);
  const content = truncateChars(`**${title}** — ${countsLine(data)}\n<${alertsPageLink(data.externalURL)}>`, DISCORD_LIMITS.content);
  const total = data.alerts.length + data.truncatedAlerts;
  const perMessage = total > DISCORD_LIMITS.embeds ? DISCORD_LIMITS.embeds - 1 : DISCORD_LIMITS.embeds;
  const shown = data.alerts.slice(0, perMessage);
  const summaryReserve = total > shown.length ? 200 : 0;
  const budget = Math.floor((DISCORD_LIMITS.totalEmbedText - 50 - summaryReserve) / Math.max(1, shown.length));
  const embeds = shown.map((alert) => alertEmbed(alert, budget));
  if (total > shown.length) {
    const rest = total - shown.length;
    embeds.push({
      title: `${rest} more alert${rest === 1 ? "" : "s"}`,
      description: truncateChars(`See all alerts of this group in Loopscope.`, 150),
      url: alertsPageLink(data.externalURL),
      color: data.status === "firing" ? DISCORD_COLORS.firing : DISCORD_COLORS.resolved,
    });
  }
  return { content, embeds, username: "Loopscope", allowed_mentions: { parse: [] } };
}
