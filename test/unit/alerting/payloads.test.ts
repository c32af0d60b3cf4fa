import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { GroupableAlert } from "../../../server/alerting/grouping";
import { buildNotificationData, type NotificationData, ZERO_TIME } from "../../../server/alerting/notification-data";
import {
  alertmanagerEndpoint,
  alertmanagerPayload,
  DISCORD_COLORS,
  DISCORD_LIMITS,
  discordPayload,
  embedTextLength,
  GOOGLE_CHAT_LIMITS,
  googleChatPayload,
  msteamsPayload,
  renderRequest,
  SLACK_LIMITS,
  signBody,
  slackPayload,
  webhookPayload,
} from "../../../server/alerting/payloads";
import { truncateChars, truncateToFit } from "../../../server/alerting/payloads/text";

const externalURL = "https://loopscope.example.com";

function sample(alerts: GroupableAlert[], reason: NotificationData["notificationReason"] = "first notification"): NotificationData {
  return buildNotificationData({
    receiver: "ops",
    groupKey: '{}/{channel_id="1"}:{alertname="QueueBackingUp"}',
    groupLabels: { alertname: "QueueBackingUp" },
    alerts,
    reason,
    externalURL,
    validUntil: Date.parse("2026-01-01T01:00:00Z"),
  });
}

const firing: GroupableAlert = {
  fingerprint: "0123456789abcdef",
  labels: { alertname: "QueueBackingUp", controller: "pods", severity: "warning" },
  annotations: { summary: "Queue of pods is backing up", description: "depth 120 > 100" },
  status: "firing",
  startsAt: Date.parse("2026-01-01T00:00:00Z"),
};
const resolved: GroupableAlert = {
  ...firing,
  fingerprint: "fedcba9876543210",
  labels: { ...firing.labels, controller: "nodes" },
  status: "resolved",
  endsAt: Date.parse("2026-01-01T00:10:00Z"),
};

describe("notification data", () => {
  it("puts firing alerts first, computes common labels and links each alert to the dashboard", () => {
    const data = sample([resolved, firing]);
    expect(data.status).toBe("firing");
    expect(data.alerts.map((a) => a.status)).toEqual(["firing", "resolved"]);
    expect(data.commonLabels).toEqual({ alertname: "QueueBackingUp", severity: "warning" });
    expect(data.alerts[0].generatorURL).toBe(`${externalURL}/alerts?alert=0123456789abcdef`);
    expect(data.alerts[0].endsAt).toBe(ZERO_TIME);
    expect(data.alerts[1].endsAt).toBe("2026-01-01T00:10:00Z");
    expect(sample([resolved]).status).toBe("resolved");
  });
});

describe("generic webhook (Alertmanager payload version 4)", () => {
  it("has exactly Alertmanager's fields", () => {
    const body = webhookPayload(sample([firing, resolved], "some alerts resolved"));
    expect(Object.keys(body).sort()).toEqual(
      ["alerts", "commonAnnotations", "commonLabels", "externalURL", "groupKey", "groupLabels", "notification_reason", "receiver", "status", "truncatedAlerts", "version"].sort(),
    );
    expect(body.version).toBe("4");
    expect(body.notification_reason).toBe("some alerts resolved");
    expect(body.truncatedAlerts).toBe(0);
    expect(Object.keys(body.alerts[0]).sort()).toEqual(["annotations", "endsAt", "fingerprint", "generatorURL", "labels", "startsAt", "status"]);
    expect(body.alerts[0].startsAt).toBe("2026-01-01T00:00:00Z");
    expect(body.alerts[0].startsAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  });

  it("signs the exact body with HMAC-SHA256 when a secret is set", () => {
    const req = renderRequest("webhook", sample([firing]), { url: "http://127.0.0.1/hook", secret: "s3cret" });
    expect(req.headers["x-loopscope-signature"]).toBe(signBody(req.body, "s3cret"));
    expect(req.headers["x-loopscope-signature"]).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(renderRequest("webhook", sample([firing]), { url: "http://127.0.0.1/hook" }).headers["x-loopscope-signature"]).toBeUndefined();
    expect(renderRequest("slack", sample([firing]), { url: "http://127.0.0.1/hook", secret: "s" }).headers["x-loopscope-signature"]).toBeUndefined();
  });
});

describe("Alertmanager forwarding", () => {
  it("posts postableAlerts to /api/v2/alerts with endsAt = validUntil while firing", () => {
    const body = alertmanagerPayload(sample([firing, resolved]));
    expect(body).toEqual([
      { labels: firing.labels, annotations: firing.annotations, startsAt: "2026-01-01T00:00:00Z", endsAt: "2026-01-01T01:00:00Z", generatorURL: `${externalURL}/alerts?alert=0123456789abcdef` },
      { labels: resolved.labels, annotations: resolved.annotations, startsAt: "2026-01-01T00:00:00Z", endsAt: "2026-01-01T00:10:00Z", generatorURL: `${externalURL}/alerts?alert=fedcba9876543210` },
    ]);
    expect(alertmanagerEndpoint("http://am:9093")).toBe("http://am:9093/api/v2/alerts");
    expect(alertmanagerEndpoint("http://am:9093/prefix/")).toBe("http://am:9093/prefix/api/v2/alerts");
    expect(alertmanagerEndpoint("http://am:9093/api/v2/alerts")).toBe("http://am:9093/api/v2/alerts");
  });
});

describe("Microsoft Teams (Workflows, Adaptive Card)", () => {
  it("is exactly the msteamsv2 shape", () => {
    const msg = msteamsPayload(sample([firing]));
    expect(msg.type).toBe("message");
    expect(msg.attachments).toHaveLength(1);
    const [attachment] = msg.attachments;
    expect(Object.keys(attachment)).toEqual(["contentType", "contentUrl", "content"]);
    expect(attachment.contentType).toBe("application/vnd.microsoft.card.adaptive");
    expect(attachment.contentUrl).toBeNull();
    expect(Object.keys(attachment.content)).toEqual(["$schema", "type", "version", "body", "msteams"]);
    expect(attachment.content.$schema).toBe("http://adaptivecards.io/schemas/adaptive-card.json");
    expect(attachment.content.version).toBe("1.2");
    expect(attachment.content.msteams).toEqual({ width: "full" });
    const [title, text] = attachment.content.body;
    expect(title).toMatchObject({ type: "TextBlock", weight: "Bolder", size: "Medium", wrap: true, style: "heading", color: "Attention" });
    expect(title.text).toBe("[FIRING:1] QueueBackingUp (pods warning)");
    expect(Object.keys(text)).toEqual(["type", "text", "wrap"]);
    expect(text.text).toContain(`${externalURL}/alerts?alert=0123456789abcdef`);
    expect(msteamsPayload(sample([resolved])).attachments[0].content.body[0].color).toBe("Good");
  });
});

describe("Slack and Discord shapes", () => {
  it("Slack: header, sections with links, context footer, text fallback", () => {
    const msg = slackPayload(sample([firing, resolved]));
    expect(msg.blocks[0]).toEqual({ type: "header", text: { type: "plain_text", text: "[FIRING:1] QueueBackingUp (warning)", emoji: true } });
    expect(msg.blocks.filter((b) => b.type === "section")).toHaveLength(3);
    expect(JSON.stringify(msg.blocks)).toContain(`<${externalURL}/alerts?alert=0123456789abcdef|Queue of pods is backing up>`);
    expect(msg.blocks.at(-1)?.type).toBe("context");
    expect(msg.text).toContain("[FIRING:1] QueueBackingUp");
  });

  it("Slack escapes &, < and > in user text", () => {
    const msg = slackPayload(sample([{ ...firing, annotations: { summary: "a<b>&c", description: "<@U123> & <!channel>" } }]));
    const json = JSON.stringify(msg.blocks);
    expect(json).toContain("&lt;@U123&gt; &amp; &lt;!channel&gt;");
    expect(json).not.toContain("<!channel>");
  });

  it("Discord: one embed per alert with Alertmanager's colours, mentions disabled", () => {
    const msg = discordPayload(sample([firing, resolved]));
    expect(msg.embeds.map((e) => e.color)).toEqual([DISCORD_COLORS.firing, DISCORD_COLORS.resolved]);
    expect(DISCORD_COLORS.firing).toBe(0x992d22);
    expect(DISCORD_COLORS.resolved).toBe(0x2ecc71);
    expect(msg.embeds[0].url).toBe(`${externalURL}/alerts?alert=0123456789abcdef`);
    expect(msg.allowed_mentions).toEqual({ parse: [] });
    expect(msg.content).toContain(`${externalURL}/alerts`);
  });

  it("Discord: summarises alerts beyond ten embeds in the tenth", () => {
    const many = Array.from({ length: 15 }, (_, i) => ({ ...firing, fingerprint: i.toString(16).padStart(16, "0"), labels: { ...firing.labels, controller: `c${i}` } }));
    const msg = discordPayload(sample(many));
    expect(msg.embeds).toHaveLength(10);
    expect(msg.embeds[9].title).toBe("6 more alerts");
  });

  it("Google Chat: text with links", () => {
    const msg = googleChatPayload(sample([firing]));
    expect(Object.keys(msg)).toEqual(["text"]);
    expect(msg.text).toContain(`<${externalURL}/alerts?alert=0123456789abcdef|Queue of pods is backing up>`);
  });
});

describe("truncation helpers", () => {
  it("never split a surrogate pair and end with an ellipsis", () => {
    expect(truncateChars("abcdef", 4)).toBe("abc…");
    expect(truncateChars("ab😀cd", 4)).toBe("ab…");
    expect(truncateChars("abc", 3)).toBe("abc");
    expect(truncateToFit("ééééé", 6)).toBe("é…");
    expect(truncateToFit("ééééé", 7)).toBe("éé…");
  });
});

// ---- Property test: no payload exceeds its platform's limits ----

const labelName = fc.stringMatching(/^[a-z_][a-z0-9_]{0,40}$/);
const hugeText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: "grapheme", minLength: 1_000, maxLength: 6_000 }),
  fc.string({ unit: "binary", maxLength: 3_000 }),
  fc.integer({ min: 1, max: 50_000 }).map((n) => "x".repeat(n)),
  fc.integer({ min: 1, max: 5_000 }).map((n) => "<&>\"\\`*_😀".repeat(n)),
);
const arbitraryAlert = fc.record({
  fingerprint: fc.stringMatching(/^[0-9a-f]{16}$/),
  labels: fc.dictionary(labelName, hugeText, { maxKeys: 25 }).map((l) => ({ alertname: "A".repeat(300), ...l })),
  annotations: fc.record({ summary: hugeText, description: hugeText }, { requiredKeys: [] }),
  status: fc.constantFrom("firing" as const, "resolved" as const),
  startsAt: fc.integer({ min: 0, max: 2_000_000_000_000 }),
  endsAt: fc.integer({ min: 0, max: 2_000_000_000_000 }),
});

describe("payload limits (property test)", () => {
  it("no random group of oversized alerts produces a payload over any platform limit", () => {
    fc.assert(
      fc.property(fc.array(arbitraryAlert, { minLength: 1, maxLength: 60 }), fc.dictionary(labelName, hugeText, { maxKeys: 5 }), (alerts, groupLabels) => {
        const data = buildNotificationData({ receiver: "r", groupKey: "k", groupLabels, alerts, reason: "first notification", externalURL, validUntil: 0 });

        const slack = slackPayload(data);
        expect(slack.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
        let blockText = 0;
        for (const block of slack.blocks) {
          if (block.type === "section") {
            expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
            blockText += block.text.text.length;
          } else if (block.type === "header") {
            expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
            blockText += block.text.text.length;
          } else if (block.type === "context") {
            for (const e of block.elements) {
              expect(e.text.length).toBeLessThanOrEqual(SLACK_LIMITS.contextText);
              blockText += e.text.length;
            }
          }
        }
        expect(blockText).toBeLessThanOrEqual(SLACK_LIMITS.totalBlockText);
        expect(slack.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);

        const discord = discordPayload(data);
        expect(discord.content.length).toBeLessThanOrEqual(DISCORD_LIMITS.content);
        expect(discord.embeds.length).toBeLessThanOrEqual(DISCORD_LIMITS.embeds);
        let total = 0;
        for (const embed of discord.embeds) {
          expect(embed.title.length).toBeLessThanOrEqual(DISCORD_LIMITS.title);
          expect(embed.description?.length ?? 0).toBeLessThanOrEqual(DISCORD_LIMITS.description);
          expect(embed.fields?.length ?? 0).toBeLessThanOrEqual(DISCORD_LIMITS.fields);
          for (const field of embed.fields ?? []) {
            expect(field.name.length).toBeLessThanOrEqual(DISCORD_LIMITS.fieldName);
            expect(field.value.length).toBeLessThanOrEqual(DISCORD_LIMITS.fieldValue);
            expect(field.name.length).toBeGreaterThan(0);
            expect(field.value.length).toBeGreaterThan(0);
          }
          expect(embed.footer?.text.length ?? 0).toBeLessThanOrEqual(DISCORD_LIMITS.footer);
          total += embedTextLength(embed);
        }
        expect(total).toBeLessThanOrEqual(DISCORD_LIMITS.totalEmbedText);

        const chat = googleChatPayload(data);
        expect(Buffer.byteLength(JSON.stringify(chat), "utf8")).toBeLessThanOrEqual(GOOGLE_CHAT_LIMITS.messageBytes);

        const teams = msteamsPayload(data);
        expect(teams.attachments[0].content.body[1].text.length).toBeLessThanOrEqual(20_000);
      }),
      { numRuns: 60 },
    );
  });
});
