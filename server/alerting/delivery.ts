import { randomUUID } from "node:crypto";
import type { BackgroundService } from "../lifecycle/service-set";
import type { Logger } from "../log";
import type { SecretBox } from "../secrets";
import type { PrismaClient } from "../store/prisma";
import { type ChannelTarget, ChannelStore } from "./channel-store";
import { type DeliveryMetrics, deliveryMetrics } from "./delivery-metrics";
import { HttpSender } from "./http-sender";
import { testNotificationData } from "./notification-data";
import type { OutboundPolicy } from "./outbound-guard";
import { type ClaimedNotification, Outbox } from "./outbox";
import { renderRequest } from "./payloads";
import { type AttemptDecision, type AttemptOutcome, DEFAULT_RETRY_POLICY, decideAfterAttempt, type RetryPolicy } from "./retry-policy";
import { RepeatingTask } from "../lifecycle/repeating-task";

export interface DeliveryWorkerOptions {
  prisma: PrismaClient;
  secrets: SecretBox;
  policy: OutboundPolicy;
  /** Dashboard base URL (for test messages). */
  externalURL: string;
  /** Whole-request timeout (default 10 s, like Prometheus' --alertmanager.timeout). */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** How often the outbox is polled when nothing woke the worker (default 1 s). */
  pollMs?: number;
  batchSize?: number;
  concurrency?: number;
  /** How long a claimed row stays with this worker (default 2 × timeout + 5 s). */
  leaseMs?: number;
  clock?: () => number;
  random?: () => number;
  log?: Logger;
  metrics?: DeliveryMetrics;
}

export interface TestResult {
  ok: boolean;
  notificationId: number;
  statusCode: number | null;
  error: string | null;
}

/**
 * Delivers the outbox: claims due notifications (SKIP LOCKED, so several workers or
 * processes can share it), POSTs them, and records the outcome, with retries as
 * retry-policy.ts decides. At-least-once: a row is only marked delivered after a 2xx;
 * a crash between sending and recording means it is sent again after the lease. When
 * a notification ends failed or dead and its channel has a fallback channel, the same
 * notification is queued for the fallback.
 */
export class DeliveryWorker implements BackgroundService {
  readonly name = "alert-delivery";
  readonly outbox: Outbox;
  readonly channels: ChannelStore;
  private readonly sender: HttpSender;
  private readonly retry: RetryPolicy;
  private readonly clock: () => number;
  private readonly metrics: DeliveryMetrics;
  private readonly loop: RepeatingTask;

  constructor(private readonly options: DeliveryWorkerOptions) {
    this.outbox = new Outbox(options.prisma);
    this.channels = new ChannelStore(options.prisma, options.secrets, options.policy);
    this.clock = options.clock ?? Date.now;
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.sender = new HttpSender({ ...options.policy, timeoutMs: this.timeoutMs, clock: this.clock });
    this.metrics = options.metrics ?? deliveryMetrics();
    this.loop = new RepeatingTask({
      run: () => this.drain(),
      everyMs: options.pollMs ?? 1_000,
      onError: (error) => options.log?.error({ err: (error as Error).message }, "notification delivery loop failed"),
    });
  }

  private get timeoutMs(): number {
    return this.options.timeoutMs ?? 10_000;
  }

  private get leaseMs(): number {
    return this.options.leaseMs ?? this.timeoutMs * 2 + 5_000;
  }

  async start(): Promise<void> {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.sender.close().catch(() => undefined);
  }

  /** Polls at once (called after new notifications were queued). */
  wake(): void {
    this.loop.wake();
  }

  /** Delivers batches until nothing is due. */
  private async drain(): Promise<void> {
    while (this.loop.active && (await this.runOnce()) > 0) {
      // keep going while full batches come back
    }
  }

  /** Claims one batch of due notifications and delivers it; returns how many were handled. */
  async runOnce(now = this.clock()): Promise<number> {
    const claimed = await this.outbox.claimDue(now, this.options.batchSize ?? 10, this.leaseMs);
    let next = 0;
    const worker = async () => {
      while (next < claimed.length) await this.deliver(claimed[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency ?? 4, Math.max(1, claimed.length)) }, worker));
    return claimed.length;
  }

  private async attempt(row: ClaimedNotification, target: ChannelTarget): Promise<AttemptOutcome> {
    const labels = { channel: target.name, kind: target.kind };
    const started = performance.now();
    let outcome: AttemptOutcome;
    try {
      outcome = await this.sender.post(renderRequest(target.kind, row.payload.data, target));
    } catch (error) {
      outcome = { error: `could not render the notification: ${(error as Error).message}`, refused: true };
    }
    this.metrics.notifications.inc(labels);
    this.metrics.latency.observe(labels, (performance.now() - started) / 1_000);
    return outcome;
  }

  private async deliver(row: ClaimedNotification, options: { noRetry?: boolean } = {}): Promise<{ decision: AttemptDecision; outcome?: AttemptOutcome }> {
    let target: ChannelTarget | undefined;
    try {
      target = await this.channels.target(row.channelId);
    } catch (error) {
      const decision: AttemptDecision = { state: "failed", error: `the channel's URL cannot be decrypted: ${(error as Error).message}` };
      await this.outbox.record(row.id, decision, this.clock());
      return { decision };
    }
    if (!target) {
      const decision: AttemptDecision = { state: "dead", error: "the channel was deleted" };
      await this.outbox.record(row.id, decision, this.clock());
      return { decision };
    }
    if (!target.enabled && row.status !== "test") {
      const decision: AttemptDecision = { state: "failed", error: "the channel is disabled" };
      await this.outbox.record(row.id, decision, this.clock());
      return { decision };
    }
    const outcome = await this.attempt(row, target);
    const now = this.clock();
    let decision = decideAfterAttempt(outcome, { attempt: row.attempts, createdAt: row.createdAt.getTime(), now, policy: this.retry, random: this.options.random });
    if (options.noRetry && decision.state === "pending") decision = { state: "failed", error: decision.error };
    await this.outbox.record(row.id, decision, now, outcome.status);
    const labels = { channel: target.name, kind: target.kind };
    if (decision.state === "delivered") {
      this.options.log?.info({ notification: row.id, channel: target.name, attempts: row.attempts }, "notification delivered");
    } else {
      this.metrics.failed.inc({ ...labels, reason: decision.state === "pending" ? "retry" : decision.state });
      this.options.log?.warn({ notification: row.id, channel: target.name, attempts: row.attempts, state: decision.state, err: decision.error }, "notification delivery failed");
      if ((decision.state === "failed" || decision.state === "dead") && row.status !== "test") await this.fallBack(row, target, now);
    }
    return { decision, outcome };
  }

  /** Queues the notification for the channel's fallback (once per channel along the chain). */
  private async fallBack(row: ClaimedNotification, target: ChannelTarget, now: number): Promise<void> {
    const fallbackId = target.fallbackChannelId;
    const visited = [...(row.payload.fallbackFrom ?? []), row.channelId];
    if (fallbackId === null || visited.includes(fallbackId)) return;
    const inserted = await this.outbox.enqueue([
      {
        channelId: fallbackId,
        idempotencyKey: `${row.idempotencyKey}:fallback:${fallbackId}`,
        groupKey: row.groupKey,
        status: row.status === "resolved" ? "resolved" : "firing",
        reason: row.reason,
        payload: { data: row.payload.data, fallbackFrom: visited },
        nextAttemptAt: now,
        createdAt: now,
      },
    ]);
    if (inserted > 0) {
      this.options.log?.warn({ notification: row.id, channel: target.name, fallbackChannelId: fallbackId }, "notification handed to the fallback channel");
      this.wake();
    }
  }

  /**
   * Sends a test message to a channel now and reports the outcome (no retries, no
   * fallback). The attempt is recorded in the outbox like any other.
   */
  async sendTest(channelId: number): Promise<TestResult> {
    const channel = await this.channels.get(channelId);
    const now = this.clock();
    const key = `test:${channelId}:${now}:${randomUUID()}`;
    await this.outbox.enqueue([
      {
        channelId,
        idempotencyKey: key,
        groupKey: "test",
        status: "test",
        reason: "test",
        payload: { data: testNotificationData(channel.name, this.options.externalURL, now) },
        nextAttemptAt: now,
        createdAt: now,
      },
    ]);
    const row = await this.options.prisma.notification.findUniqueOrThrow({ where: { idempotencyKey: key } });
    const [claimed] = await this.outbox.claimDue(now, 1, this.leaseMs, row.id);
    if (!claimed) return { ok: false, notificationId: row.id, statusCode: null, error: "the test message was claimed by another worker" };
    const { decision, outcome } = await this.deliver(claimed, { noRetry: true });
    return {
      ok: decision.state === "delivered",
      notificationId: row.id,
      statusCode: outcome?.status ?? null,
      error: decision.state === "delivered" ? null : decision.error,
    };
  }
}
