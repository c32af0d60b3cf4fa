import type { Notification as NotificationRow } from "../store/generated/client";
import type { PrismaClient } from "../store/prisma";
import type { NotificationData } from "./notification-data";
import type { AttemptDecision } from "./retry-policy";

export type OutboxState = "pending" | "delivered" | "failed" | "dead";

/** What an outbox row carries: the platform-independent notification (rendered at delivery). */
export interface OutboxPayload {
  data: NotificationData;
  /** Channels this notification already went through before falling back (cycle guard). */
  fallbackFrom?: number[];
}

export interface OutboxEntry {
  channelId: number;
  idempotencyKey: string;
  groupKey: string;
  status: "firing" | "resolved" | "test";
  reason: string;
  payload: OutboxPayload;
  nextAttemptAt: number;
  createdAt: number;
}

/** A claimed row: this worker holds it until its lease runs out. */
export interface ClaimedNotification {
  id: number;
  channelId: number;
  idempotencyKey: string;
  groupKey: string;
  status: string;
  reason: string;
  payload: OutboxPayload;
  attempts: number;
  createdAt: Date;
}

/** A row as the deliveries page shows it (the payload summarised, no URL). */
export interface OutboxView {
  id: number;
  channelId: number;
  groupKey: string;
  status: string;
  reason: string;
  state: OutboxState;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  lastStatusCode: number | null;
  createdAt: Date;
  deliveredAt: Date | null;
  alerts: number;
  title: string;
}

export function parsePayload(value: unknown): OutboxPayload {
  const payload = value as OutboxPayload;
  if (!payload || typeof payload !== "object" || !payload.data || !Array.isArray(payload.data.alerts)) {
    throw new Error("The outbox payload is not a notification.");
  }
  return payload;
}

function view(row: NotificationRow): OutboxView {
  let alerts = 0;
  let title = row.groupKey;
  try {
    const payload = parsePayload(row.payload);
    alerts = payload.data.alerts.length;
    title = `${payload.data.status} · ${Object.values(payload.data.groupLabels).join(" ") || payload.data.receiver}`;
  } catch {
    // keep defaults
  }
  return {
    id: row.id,
    channelId: row.channelId,
    groupKey: row.groupKey,
    status: row.status,
    reason: row.reason,
    state: row.state as OutboxState,
    attempts: row.attempts,
    nextAttemptAt: row.nextAttemptAt,
    lastError: row.lastError,
    lastStatusCode: row.lastStatusCode,
    createdAt: row.createdAt,
    deliveredAt: row.deliveredAt,
    alerts,
    title,
  };
}

type TxClient = Pick<PrismaClient, "notification">;

/**
 * The delivery outbox in Postgres. Rows are inserted once per idempotency key
 * (duplicates are ignored), claimed with `FOR UPDATE SKIP LOCKED` under a lease (a
 * worker that dies mid-send leaves the row to be claimed again when the lease ends),
 * and end delivered, failed (not retryable) or dead (gave up after the maximum age).
 */
export class Outbox {
  constructor(private readonly prisma: PrismaClient) {}

  /** Inserts entries; returns how many were new (existing idempotency keys are skipped). */
  async enqueue(entries: readonly OutboxEntry[], client: TxClient = this.prisma): Promise<number> {
    if (entries.length === 0) return 0;
    const result = await client.notification.createMany({
      data: entries.map((e) => ({
        channelId: e.channelId,
        idempotencyKey: e.idempotencyKey,
        groupKey: e.groupKey,
        status: e.status,
        reason: e.reason,
        payload: JSON.parse(JSON.stringify(e.payload)),
        state: "pending",
        nextAttemptAt: new Date(e.nextAttemptAt),
        createdAt: new Date(e.createdAt),
      })),
      skipDuplicates: true,
    });
    return result.count;
  }

  /** Claims up to `limit` due rows for `leaseMs`, counting the attempt. */
  async claimDue(now: number, limit: number, leaseMs: number, only?: number): Promise<ClaimedNotification[]> {
    const nowAt = new Date(now);
    const leaseUntil = new Date(now + leaseMs);
    const rows = await this.prisma.$queryRaw<
      { id: number; channel_id: number; idempotency_key: string; group_key: string; status: string; reason: string; payload: unknown; attempts: number; created_at: Date }[]
    >`
      UPDATE notifications AS n
         SET next_attempt_at = ${leaseUntil}::timestamptz, attempts = n.attempts + 1
        FROM (SELECT id FROM notifications
               WHERE state = 'pending' AND next_attempt_at <= ${nowAt}::timestamptz
                 AND (${only ?? null}::int IS NULL OR id = ${only ?? null}::int)
               ORDER BY next_attempt_at, id
               LIMIT ${limit}
               FOR UPDATE SKIP LOCKED) AS due
       WHERE n.id = due.id
      RETURNING n.id, n.channel_id, n.idempotency_key, n.group_key, n.status, n.reason, n.payload, n.attempts, n.created_at`;
    return rows.map((r) => ({
      id: r.id,
      channelId: r.channel_id,
      idempotencyKey: r.idempotency_key,
      groupKey: r.group_key,
      status: r.status,
      reason: r.reason,
      payload: parsePayload(r.payload),
      attempts: r.attempts,
      createdAt: r.created_at,
    }));
  }

  /** Records the outcome of an attempt. */
  async record(id: number, decision: AttemptDecision, now: number, statusCode?: number): Promise<void> {
    const base = { lastStatusCode: statusCode ?? null };
    switch (decision.state) {
      case "delivered":
        await this.prisma.notification.update({ where: { id }, data: { ...base, state: "delivered", deliveredAt: new Date(now), lastError: null } });
        return;
      case "pending":
        await this.prisma.notification.update({ where: { id }, data: { ...base, state: "pending", nextAttemptAt: new Date(decision.nextAttemptAt), lastError: decision.error } });
        return;
      case "failed":
      case "dead":
        await this.prisma.notification.update({ where: { id }, data: { ...base, state: decision.state, lastError: decision.error } });
        return;
    }
  }

  async list(filter: { states?: OutboxState[]; channelId?: number; limit?: number } = {}): Promise<OutboxView[]> {
    const rows = await this.prisma.notification.findMany({
      where: { ...(filter.states ? { state: { in: filter.states } } : {}), ...(filter.channelId !== undefined ? { channelId: filter.channelId } : {}) },
      orderBy: { createdAt: "desc" },
      take: Math.min(filter.limit ?? 200, 2_000),
    });
    return rows.map(view);
  }

  /** Notifications that carried one alert (by fingerprint), newest first. */
  async forAlert(fingerprint: string, limit = 50): Promise<OutboxView[]> {
    const ids = await this.prisma.$queryRaw<{ id: number }[]>`
      SELECT id FROM notifications
      WHERE payload->'data'->'alerts' @> ${JSON.stringify([{ fingerprint }])}::jsonb
      ORDER BY created_at DESC LIMIT ${Math.min(limit, 500)}`;
    if (ids.length === 0) return [];
    const rows = await this.prisma.notification.findMany({ where: { id: { in: ids.map((r) => r.id) } }, orderBy: { createdAt: "desc" } });
    return rows.map(view);
  }

  async get(id: number): Promise<OutboxView | undefined> {
    const row = await this.prisma.notification.findUnique({ where: { id } });
    return row ? view(row) : undefined;
  }

  /** Puts a failed or dead notification back in the queue (the "retry" action of the dead-letter list). */
  async requeue(id: number, now: number): Promise<boolean> {
    const result = await this.prisma.notification.updateMany({
      where: { id, state: { in: ["failed", "dead"] } },
      data: { state: "pending", nextAttemptAt: new Date(now), createdAt: new Date(now), attempts: 0 },
    });
    return result.count > 0;
  }

  /** Deletes finished notifications (delivered, failed, dead) created before `before`; returns how many. */
  async prune(before: number): Promise<number> {
    const result = await this.prisma.notification.deleteMany({ where: { state: { in: ["delivered", "failed", "dead"] }, createdAt: { lt: new Date(before) } } });
    return result.count;
  }

  /** Counts by state, for the UI and health. */
  async counts(): Promise<Record<OutboxState, number>> {
    const groups = await this.prisma.notification.groupBy({ by: ["state"], _count: { _all: true } });
    const out: Record<OutboxState, number> = { pending: 0, delivered: 0, failed: 0, dead: 0 };
    for (const g of groups) if (g.state in out) out[g.state as OutboxState] = g._count._all;
    return out;
  }
}
