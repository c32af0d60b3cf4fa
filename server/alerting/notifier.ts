import type { BackgroundService } from "../lifecycle/service-set";
import type { Logger } from "../log";
import type { PrismaClient } from "../store/prisma";
import { AlertStore } from "./alert-store";
import { type ChannelView, channelView } from "./channel-store";
import type { DeliveryWorker } from "./delivery";
import { ForwardingLog, VALID_FOR_MS } from "./forwarding";
import { matchesAll } from "./matchers";
import { type AlertGroup, decideFlush, type GroupableAlert, groupAlerts, groupDueAt, type NotificationLogEntry } from "./grouping";
import { DEFAULT_INHIBIT_RULES, type InhibitRule, inhibitedAlerts } from "./inhibition";
import { buildNotificationData, contentHash, idempotencyKey } from "./notification-data";
import { SilenceStore } from "./silence-store";
import { type Silence, silencedBy } from "./silences";
import { RepeatingTask } from "../lifecycle/repeating-task";

export interface NotifierOptions {
  prisma: PrismaClient;
  /** Delivers what the notifier queues; also owns the channel store and the outbox. */
  delivery: DeliveryWorker;
  /** Dashboard base URL: LOOPSCOPE_PUBLIC_URL or http://HOST:PORT. */
  externalURL: string;
  /** Inhibition rules (default: a firing critical alert mutes warnings of the same controller). */
  inhibitRules?: InhibitRule[];
  /** How often groups are checked for due flushes (default 1 s). */
  tickMs?: number;
  /** At most this many alerts per notification; the rest is counted in truncatedAlerts (default 500). */
  maxAlerts?: number;
  /** Finished notifications and alert history older than this are deleted, hourly (default 7 days). */
  historyRetentionMs?: number;
  clock?: () => number;
  log?: Logger;
}

/** Why an alert is not notified right now. */
export interface Muting {
  silencedBy: Map<string, number[]>;
  inhibited: Set<string>;
}

interface GroupRow {
  id: number;
  channel_id: number;
  group_key: string;
  first_seen_at: Date;
  last_flush_at: Date | null;
  last_sent_hash: string | null;
  last_sent_at: Date | null;
}

function parseEntry(hash: string | null, at: Date | null): NotificationLogEntry | undefined {
  if (!hash || !at) return undefined;
  try {
    const parsed = JSON.parse(hash) as { firing?: unknown; resolved?: unknown };
    const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
    return { firing: strings(parsed.firing), resolved: strings(parsed.resolved), at: at.getTime() };
  } catch {
    return undefined;
  }
}

export function routeKeyOf(channelId: number): string {
  return `{}/{channel_id="${channelId}"}`;
}

/**
 * Alertmanager's dispatcher and notification pipeline over Postgres. Each tick it reads
 * the firing and recently resolved alerts, routes them to every enabled channel whose
 * matchers accept them, groups them by the channel's group_by, and flushes each group
 * when due (group_wait, then group_interval). A flush drops silenced and inhibited
 * alerts, applies the notification log (new alerts, resolved, repeat_interval), and
 * queues one notification per group in the outbox — in the same transaction that
 * updates the log, so a notification is neither lost nor queued twice.
 */
export class Notifier implements BackgroundService {
  readonly name = "notifier";
  readonly silences: SilenceStore;
  readonly alerts: AlertStore;
  private readonly clock: () => number;
  private readonly loop: RepeatingTask;
  private lastPruneAt = Number.NEGATIVE_INFINITY;
  private readonly forwarded = new ForwardingLog();

  constructor(private readonly options: NotifierOptions) {
    this.clock = options.clock ?? Date.now;
    this.silences = new SilenceStore(options.prisma, this.clock);
    this.alerts = new AlertStore(options.prisma);
    this.loop = new RepeatingTask({
      run: () => this.tick(),
      everyMs: options.tickMs ?? 1_000,
      onError: (error) => options.log?.error({ err: (error as Error).message }, "notification tick failed"),
    });
  }

  get channels() {
    return this.options.delivery.channels;
  }

  get outbox() {
    return this.options.delivery.outbox;
  }

  sendTest(channelId: number) {
    return this.options.delivery.sendTest(channelId);
  }

  async start(): Promise<void> {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** Silences and inhibitions in effect for the given alerts at `now`. */
  muting(alerts: readonly GroupableAlert[], silences: readonly Silence[], now: number): Muting {
    const silenced = new Map<string, number[]>();
    for (const alert of alerts) {
      const ids = silencedBy(silences, alert.labels, now);
      if (ids.length > 0) silenced.set(alert.fingerprint, ids);
    }
    return { silencedBy: silenced, inhibited: inhibitedAlerts(alerts, this.options.inhibitRules ?? DEFAULT_INHIBIT_RULES) };
  }

  /** The current muting of all notifiable alerts (for the alerts page). */
  async currentMuting(now = this.clock()): Promise<Muting> {
    return this.muting(await this.alerts.notifiable(now), await this.silences.current(now), now);
  }

  /** Deletes delivered/failed/dead notifications and alert events past the retention. */
  async prune(now = this.clock()): Promise<{ notifications: number; events: number }> {
    this.lastPruneAt = now;
    const before = now - (this.options.historyRetentionMs ?? 7 * 86_400_000);
    return { notifications: await this.outbox.prune(before), events: await this.alerts.pruneHistory(before) };
  }

  /** One dispatcher pass at `now`; returns how many notifications were queued. */
  async tick(now = this.clock()): Promise<number> {
    if (now - this.lastPruneAt >= 3_600_000) await this.prune(now);
    const alerts = await this.alerts.notifiable(now);
    const muting = this.muting(alerts, await this.silences.current(now), now);
    const unmuted = (a: GroupableAlert) => !muting.inhibited.has(a.fingerprint) && !muting.silencedBy.has(a.fingerprint);
    const channels = (await this.options.prisma.channel.findMany({ where: { enabled: true } })).map(channelView);
    const rows = await this.options.prisma.notificationGroup.findMany({ where: { channelId: { in: channels.map((c) => c.id) } } });
    let queued = 0;
    for (const channel of channels) {
      if (channel.kind === "alertmanager") {
        queued += await this.forward(channel, alerts, now);
        continue;
      }
      const groups = groupAlerts(alerts, channel, routeKeyOf(channel.id));
      const existing = new Map(rows.filter((r) => r.channelId === channel.id).map((r) => [r.groupKey, r]));
      for (const [key, row] of existing) {
        if (!groups.has(key)) await this.options.prisma.notificationGroup.deleteMany({ where: { id: row.id } });
      }
      for (const [key, group] of groups) {
        let row = existing.get(key);
        if (!row) {
          if (!group.alerts.some((a) => a.status === "firing")) continue;
          row = await this.options.prisma.notificationGroup.upsert({
            where: { channelId_groupKey: { channelId: channel.id, groupKey: key } },
            create: { channelId: channel.id, groupKey: key, firstSeenAt: new Date(now) },
            update: {},
          });
        }
        const due = groupDueAt({ firstSeenAt: row.firstSeenAt.getTime(), lastFlushAt: row.lastFlushAt?.getTime() }, group.alerts, channel);
        if (now < due) continue;
        queued += await this.flush(channel, { ...group, alerts: group.alerts.filter(unmuted) }, row.id, now);
      }
    }
    if (queued > 0) this.options.delivery.wake();
    return queued;
  }

  /**
   * An `alertmanager` channel gets alerts as Prometheus sends them (forwarding.ts): every
   * firing alert the channel's matchers take, on the tick after it fires and at least
   * every minute, valid for a few minutes; resolved ones with their real end. No
   * grouping, waiting, silencing or inhibition here: Alertmanager does those.
   */
  private async forward(channel: ChannelView, alerts: readonly GroupableAlert[], now: number): Promise<number> {
    const routed = alerts.filter((a) => matchesAll(channel.matchers, a.labels) && (a.status === "firing" || channel.sendResolved));
    const due = this.forwarded.due(channel.id, routed, now);
    if (due.length === 0) {
      this.forwarded.record(channel.id, [], routed, now);
      return 0;
    }
    const groupKey = `${routeKeyOf(channel.id)}:forwarded`;
    // Every due alert is sent: in batches of maxAlerts (Prometheus batches its sends too).
    const batch = this.options.maxAlerts ?? 500;
    const entries = [];
    for (let k = 0; k < due.length; k += batch) {
      const alertsOfBatch = due.slice(k, k + batch);
      const data = buildNotificationData({
        receiver: channel.name,
        groupKey,
        groupLabels: {},
        alerts: alertsOfBatch,
        reason: "alert forwarding",
        externalURL: this.options.externalURL,
        validUntil: now + VALID_FOR_MS,
      });
      entries.push({
        channelId: channel.id,
        idempotencyKey: idempotencyKey(channel.id, groupKey, contentHash(alertsOfBatch), now),
        groupKey,
        status: data.status,
        reason: "alert forwarding",
        payload: { data },
        nextAttemptAt: now,
        createdAt: now,
      });
    }
    const queued = await this.options.delivery.outbox.enqueue(entries);
    this.forwarded.record(channel.id, due, routed, now);
    return queued;
  }

  /** Flushes one group under a row lock; returns 1 when a notification was queued. */
  private async flush(channel: ChannelView, group: AlertGroup, groupRowId: number, now: number): Promise<number> {
    const { prisma } = this.options;
    return prisma.$transaction(async (tx) => {
      const [row] = await tx.$queryRaw<GroupRow[]>`SELECT * FROM notification_groups WHERE id = ${groupRowId} FOR UPDATE`;
      if (!row) return 0;
      const due = groupDueAt({ firstSeenAt: row.first_seen_at.getTime(), lastFlushAt: row.last_flush_at?.getTime() }, group.alerts, channel);
      if (now < due) return 0;
      if (group.alerts.length === 0) {
        // Everything is muted: like Alertmanager, nothing is sent and the log is left alone.
        await tx.notificationGroup.update({ where: { id: groupRowId }, data: { lastFlushAt: new Date(now) } });
        return 0;
      }
      const decision = decideFlush(group, parseEntry(row.last_sent_hash, row.last_sent_at), channel, now);
      let queued = 0;
      if (decision.reason && decision.send.length > 0) {
        const data = buildNotificationData({
          receiver: channel.name,
          groupKey: group.key,
          groupLabels: group.labels,
          alerts: decision.send,
          reason: decision.reason,
          externalURL: this.options.externalURL,
          validUntil: now + channel.repeatIntervalMs + 2 * channel.groupIntervalMs,
          maxAlerts: this.options.maxAlerts ?? 500,
        });
        queued = await this.options.delivery.outbox.enqueue(
          [
            {
              channelId: channel.id,
              idempotencyKey: idempotencyKey(channel.id, group.key, contentHash(decision.send), now),
              groupKey: group.key,
              status: data.status,
              reason: decision.reason,
              payload: { data },
              nextAttemptAt: now,
              createdAt: now,
            },
          ],
          tx,
        );
        this.options.log?.info({ channel: channel.name, group: group.key, reason: decision.reason, alerts: decision.send.length }, "notification queued");
      }
      await tx.notificationGroup.update({
        where: { id: groupRowId },
        data: {
          lastFlushAt: new Date(now),
          ...(decision.reason && decision.entry
            ? { lastSentHash: JSON.stringify({ firing: decision.entry.firing, resolved: decision.entry.resolved }), lastSentAt: new Date(decision.entry.at) }
            : {}),
        },
      });
      return queued;
    });
  }
}

