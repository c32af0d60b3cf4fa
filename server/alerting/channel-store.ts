import { z } from "zod";
import type { Channel as ChannelRow } from "../store/generated/client";
import type { PrismaClient } from "../store/prisma";
import { keepsCredential } from "../outbound/credential-scope";
import { maskUrl, type SecretBox } from "../secrets";
import { durationSchema } from "../../shared/duration";
import { DEFAULT_ROUTE, type RouteSettings } from "./grouping";
import { LABEL_NAME, type Matcher, matchersSchema } from "./matchers";
import { blockedUrlReason, type OutboundPolicy } from "./outbound-guard";
import { CHANNEL_KINDS, type ChannelKind } from "./payloads";

/** A channel as the API shows it: never the URL or the secret, only their masked forms. */
export interface ChannelView extends RouteSettings {
  id: number;
  name: string;
  kind: ChannelKind;
  urlMasked: string;
  hasSecret: boolean;
  fallbackChannelId: number | null;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** What delivery needs: the channel with its decrypted URL and secret. Never leaves the server. */
export interface ChannelTarget {
  id: number;
  name: string;
  kind: ChannelKind;
  url: string;
  secret?: string;
  fallbackChannelId: number | null;
  enabled: boolean;
}

const groupBySchema = z
  .array(z.string())
  .max(32, "at most 32 labels")
  .superRefine((names, ctx) => {
    names.forEach((name, i) => {
      if (name !== "..." && !LABEL_NAME.test(name)) ctx.addIssue({ code: "custom", path: [i], message: 'must be a label name, or "..." alone for all labels' });
    });
    if (names.includes("...") && names.length > 1) ctx.addIssue({ code: "custom", message: '"..." (all labels) cannot be combined with other labels' });
  });

const urlSchema = z
  .string({ message: "is required: the webhook URL" })
  .trim()
  .max(4_096, "must be at most 4096 characters")
  .refine((u) => URL.canParse(u), "must be a valid http(s) URL");

const channelFields = {
  name: z.string({ message: "is required" }).trim().min(1, "must not be empty").max(128, "must be at most 128 characters"),
  kind: z.enum(CHANNEL_KINDS, { message: `must be one of ${CHANNEL_KINDS.join(", ")}` }),
  url: urlSchema,
  /** HMAC secret for the generic webhook signature; "" removes it. */
  secret: z.string().max(1_024, "must be at most 1024 characters").optional(),
  matchers: matchersSchema.default([]),
  groupBy: groupBySchema.default(DEFAULT_ROUTE.groupBy),
  groupWait: durationSchema({ max: 86_400_000 }).default(DEFAULT_ROUTE.groupWaitMs),
  groupInterval: durationSchema({ min: 1, minText: "1ms", max: 7 * 86_400_000 }).default(DEFAULT_ROUTE.groupIntervalMs),
  repeatInterval: durationSchema({ min: 1, minText: "1ms", max: 30 * 86_400_000 }).default(DEFAULT_ROUTE.repeatIntervalMs),
  sendResolved: z.boolean({ message: "must be true or false" }).default(DEFAULT_ROUTE.sendResolved),
  fallbackChannelId: z.number().int().positive().nullable().default(null),
  enabled: z.boolean({ message: "must be true or false" }).default(true),
};

export const channelInputSchema = z.object(channelFields).strict();
export type ChannelInput = z.input<typeof channelInputSchema>;

/** An update: any subset of the fields; a missing `url` keeps the stored one. */
export const channelPatchSchema = z
  .object({
    name: channelFields.name.optional(),
    kind: channelFields.kind.optional(),
    url: urlSchema.optional(),
    secret: channelFields.secret,
    matchers: matchersSchema.optional(),
    groupBy: groupBySchema.optional(),
    groupWait: durationSchema({ max: 86_400_000 }).optional(),
    groupInterval: durationSchema({ min: 1, minText: "1ms", max: 7 * 86_400_000 }).optional(),
    repeatInterval: durationSchema({ min: 1, minText: "1ms", max: 30 * 86_400_000 }).optional(),
    sendResolved: z.boolean().optional(),
    fallbackChannelId: z.number().int().positive().nullable().optional(),
    enabled: z.boolean().optional(),
  })
  .strict();
export type ChannelPatch = z.input<typeof channelPatchSchema>;

export class ChannelError extends Error {
  constructor(
    message: string,
    readonly code: "invalid" | "not_found" | "conflict",
  ) {
    super(message);
    this.name = "ChannelError";
  }
}

function matchersFromJson(value: unknown): Matcher[] {
  const parsed = matchersSchema.safeParse(value);
  return parsed.success ? parsed.data : [];
}

function stringsFromJson(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

export function channelView(row: ChannelRow): ChannelView {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind as ChannelKind,
    urlMasked: row.urlMasked,
    hasSecret: row.secretEncrypted !== null,
    matchers: matchersFromJson(row.matchers),
    groupBy: stringsFromJson(row.groupBy),
    groupWaitMs: row.groupWaitMs,
    groupIntervalMs: row.groupIntervalMs,
    repeatIntervalMs: row.repeatIntervalMs,
    sendResolved: row.sendResolved,
    fallbackChannelId: row.fallbackChannelId,
    enabled: row.enabled,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/**
 * Channels (receiver + route) in Postgres. URLs and secrets are encrypted before they
 * are stored and only decrypted for delivery (`target`); every other read returns the
 * masked form. Destinations refused by the outbound policy are refused at save time.
 */
export class ChannelStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly secrets: SecretBox,
    private readonly policy: OutboundPolicy,
  ) {}

  async list(): Promise<ChannelView[]> {
    return (await this.prisma.channel.findMany({ orderBy: { name: "asc" } })).map(channelView);
  }

  async get(id: number): Promise<ChannelView> {
    const row = await this.prisma.channel.findUnique({ where: { id } });
    if (!row) throw new ChannelError(`Channel ${id} does not exist.`, "not_found");
    return channelView(row);
  }

  /** The decrypted delivery target; undefined when the channel is gone. */
  async target(id: number): Promise<ChannelTarget | undefined> {
    const row = await this.prisma.channel.findUnique({ where: { id } });
    if (!row) return undefined;
    return {
      id: row.id,
      name: row.name,
      kind: row.kind as ChannelKind,
      url: this.secrets.decrypt(row.urlEncrypted),
      secret: row.secretEncrypted ? this.secrets.decrypt(row.secretEncrypted) : undefined,
      fallbackChannelId: row.fallbackChannelId,
      enabled: row.enabled,
    };
  }

  private checkUrl(url: string): void {
    const reason = blockedUrlReason(url, this.policy);
    if (reason) throw new ChannelError(`url: ${reason}`, "invalid");
  }

  private async checkName(name: string, exceptId?: number): Promise<void> {
    const clash = await this.prisma.channel.findUnique({ where: { name } });
    if (clash && clash.id !== exceptId) throw new ChannelError(`name: a channel named "${name}" already exists; choose another name.`, "conflict");
  }

  private async checkFallback(fallbackId: number | null, selfId?: number): Promise<void> {
    if (fallbackId === null) return;
    if (fallbackId === selfId) throw new ChannelError("fallbackChannelId: a channel cannot be its own fallback.", "invalid");
    const fallback = await this.prisma.channel.findUnique({ where: { id: fallbackId } });
    if (!fallback) throw new ChannelError(`fallbackChannelId: channel ${fallbackId} does not exist.`, "invalid");
  }

  async create(input: ChannelInput): Promise<ChannelView> {
    const parsed = channelInputSchema.parse(input);
    this.checkUrl(parsed.url);
    await this.checkName(parsed.name);
    await this.checkFallback(parsed.fallbackChannelId);
    const row = await this.prisma.channel.create({
      data: {
        name: parsed.name,
        kind: parsed.kind,
        urlEncrypted: this.secrets.encrypt(parsed.url),
        urlMasked: maskUrl(parsed.url),
        secretEncrypted: parsed.secret ? this.secrets.encrypt(parsed.secret) : null,
        matchers: parsed.matchers,
        groupBy: parsed.groupBy,
        groupWaitMs: parsed.groupWait,
        groupIntervalMs: parsed.groupInterval,
        repeatIntervalMs: parsed.repeatInterval,
        sendResolved: parsed.sendResolved,
        fallbackChannelId: parsed.fallbackChannelId,
        enabled: parsed.enabled,
      },
    });
    return channelView(row);
  }

  async update(id: number, patch: ChannelPatch): Promise<ChannelView> {
    const parsed = channelPatchSchema.parse(patch);
    const row = await this.prisma.channel.findUnique({ where: { id } });
    if (!row) throw new ChannelError(`Channel ${id} does not exist.`, "not_found");
    if (parsed.url !== undefined) this.checkUrl(parsed.url);
    // The signing secret stays with its origin: a URL moved elsewhere without the secret given again drops it.
    const dropSecret = parsed.secret === undefined && row.secretEncrypted !== null && !keepsCredential(this.secrets.decrypt(row.urlEncrypted), parsed.url);
    if (parsed.name !== undefined) await this.checkName(parsed.name, id);
    if (parsed.fallbackChannelId !== undefined) await this.checkFallback(parsed.fallbackChannelId, id);
    const updated = await this.prisma.channel.update({
      where: { id },
      data: {
        ...(parsed.name !== undefined ? { name: parsed.name } : {}),
        ...(parsed.kind !== undefined ? { kind: parsed.kind } : {}),
        ...(parsed.url !== undefined ? { urlEncrypted: this.secrets.encrypt(parsed.url), urlMasked: maskUrl(parsed.url) } : {}),
        ...(parsed.secret !== undefined ? { secretEncrypted: parsed.secret === "" ? null : this.secrets.encrypt(parsed.secret) } : {}),
        ...(dropSecret ? { secretEncrypted: null } : {}),
        ...(parsed.matchers !== undefined ? { matchers: parsed.matchers } : {}),
        ...(parsed.groupBy !== undefined ? { groupBy: parsed.groupBy } : {}),
        ...(parsed.groupWait !== undefined ? { groupWaitMs: parsed.groupWait } : {}),
        ...(parsed.groupInterval !== undefined ? { groupIntervalMs: parsed.groupInterval } : {}),
        ...(parsed.repeatInterval !== undefined ? { repeatIntervalMs: parsed.repeatInterval } : {}),
        ...(parsed.sendResolved !== undefined ? { sendResolved: parsed.sendResolved } : {}),
        ...(parsed.fallbackChannelId !== undefined ? { fallbackChannelId: parsed.fallbackChannelId } : {}),
        ...(parsed.enabled !== undefined ? { enabled: parsed.enabled } : {}),
      },
    });
    return channelView(updated);
  }

  /** Deletes a channel, its notification groups, and the fallback references to it. */
  async remove(id: number): Promise<void> {
    const row = await this.prisma.channel.findUnique({ where: { id } });
    if (!row) throw new ChannelError(`Channel ${id} does not exist.`, "not_found");
    await this.prisma.$transaction([
      this.prisma.channel.updateMany({ where: { fallbackChannelId: id }, data: { fallbackChannelId: null } }),
      this.prisma.notificationGroup.deleteMany({ where: { channelId: id } }),
      this.prisma.channel.delete({ where: { id } }),
    ]);
  }
}
