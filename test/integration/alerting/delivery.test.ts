import { createHmac } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { DeliveryWorker } from "../../../server/alerting/delivery";
import { buildNotificationData } from "../../../server/alerting/notification-data";
import type { OutboxEntry } from "../../../server/alerting/outbox";
import { metricsRegistry } from "../../../server/metrics/registry";
import type { SecretBox } from "../../../server/secrets";
import { type PrismaClient, prismaClient } from "../../../server/store/prisma";
import { createTestDatabase, type TestDatabase } from "../../support/db";
import { clearAlertingTables, EXTERNAL_URL, ManualClock, pipeline, type Receiver, startReceiver, testSecrets } from "./support";

const T0 = Date.parse("2026-03-01T12:00:00Z");

let db: TestDatabase;
let prisma: PrismaClient;
let secrets: SecretBox;
let receiver: Receiver;
const workers: DeliveryWorker[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = prismaClient(db.url);
  secrets = testSecrets();
  receiver = await startReceiver();
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await receiver.close();
  await prisma.$disconnect();
  await db.drop();
});

beforeEach(async () => {
  await clearAlertingTables(prisma);
  receiver.requests.length = 0;
  receiver.respond(() => ({ status: 200 }));
});

function worker(clock: ManualClock, overrides: Parameters<typeof pipeline>[3] = {}) {
  const { delivery } = pipeline(prisma, clock, secrets, overrides);
  workers.push(delivery);
  return delivery;
}

function entry(channelId: number, key = "k1", createdAt = T0): OutboxEntry {
  const data = buildNotificationData({
    receiver: "ops",
    groupKey: "{}:{alertname=\"QueueDeep\"}",
    groupLabels: { alertname: "QueueDeep" },
    alerts: [{ fingerprint: "0123456789abcdef", labels: { alertname: "QueueDeep", controller: "pods" }, annotations: { summary: "deep" }, status: "firing", startsAt: T0 }],
    reason: "first notification",
    externalURL: EXTERNAL_URL,
    validUntil: T0 + 3_600_000,
  });
  return { channelId, idempotencyKey: key, groupKey: data.groupKey, status: "firing", reason: "first notification", payload: { data }, nextAttemptAt: createdAt, createdAt };
}

async function row(id = 1) {
  return prisma.notification.findUniqueOrThrow({ where: { id } });
}

describe("delivery worker against a loopback receiver", () => {
  it("retries 500 twice then 200 → delivered exactly once, with the same body", async () => {
    const clock = new ManualClock(T0);
    const delivery = worker(clock);
    const channel = await delivery.channels.create({ name: "ops", kind: "webhook", url: `${receiver.url}/hook` });
    receiver.respond((_req, i) => (i < 2 ? { status: 500, body: "boom" } : { status: 200 }));
    expect(await delivery.outbox.enqueue([entry(channel.id)])).toBe(1);
    expect(await delivery.outbox.enqueue([entry(channel.id)])).toBe(0); // same idempotency key

    expect(await delivery.runOnce()).toBe(1);
    expect(await row()).toMatchObject({ state: "pending", attempts: 1, lastStatusCode: 500, lastError: "HTTP 500: boom" });
    // Backoff 1 s (random = 1): not due before.
    expect((await row()).nextAttemptAt.getTime()).toBe(T0 + 1_000);
    clock.advance(999);
    expect(await delivery.runOnce()).toBe(0);
    clock.advance(1);
    expect(await delivery.runOnce()).toBe(1);
    expect((await row()).nextAttemptAt.getTime()).toBe(T0 + 1_000 + 2_000);
    clock.advance(2_000);
    expect(await delivery.runOnce()).toBe(1);
    expect(await row()).toMatchObject({ state: "delivered", attempts: 3, lastStatusCode: 200, lastError: null });
    clock.advance(60_000);
    expect(await delivery.runOnce()).toBe(0);
    expect(receiver.requests).toHaveLength(3);
    expect(new Set(receiver.requests.map((r) => r.body)).size).toBe(1);
  });

  it("honours 429 with Retry-After in seconds, as an HTTP date, and Discord's retry_after", async () => {
    const clock = new ManualClock(T0);
    const delivery = worker(clock);
    const channel = await delivery.channels.create({ name: "ops", kind: "webhook", url: `${receiver.url}/hook` });
    const replies = [
      { status: 429, headers: { "retry-after": "7" } },
      { status: 429, headers: { "retry-after": new Date(T0 + 7_000 + 20_000).toUTCString() } },
      { status: 429, body: JSON.stringify({ message: "You are being rate limited.", retry_after: 1.5, global: false }) },
      { status: 204 },
    ];
    receiver.respond((_req, i) => replies[i]);
    await delivery.outbox.enqueue([entry(channel.id)]);
    await delivery.runOnce();
    expect((await row()).nextAttemptAt.getTime()).toBe(T0 + 7_000);
    clock.advance(6_999);
    expect(await delivery.runOnce()).toBe(0);
    clock.advance(1);
    await delivery.runOnce();
    expect((await row()).nextAttemptAt.getTime()).toBe(T0 + 27_000);
    clock.now = T0 + 27_000;
    await delivery.runOnce();
    expect((await row()).nextAttemptAt.getTime()).toBe(T0 + 28_500);
    expect(await row()).toMatchObject({ state: "pending", lastStatusCode: 429 });
    clock.now = T0 + 28_500;
    await delivery.runOnce();
    expect(await row()).toMatchObject({ state: "delivered", attempts: 4 });
    expect(receiver.requests).toHaveLength(4);
  });

  it("still delivers when the process restarts between attempts (state in Postgres)", async () => {
    const clock = new ManualClock(T0);
    const first = worker(clock);
    const channel = await first.channels.create({ name: "ops", kind: "webhook", url: `${receiver.url}/hook` });
    receiver.respond((_req, i) => (i === 0 ? { status: 503 } : { status: 200 }));
    await first.outbox.enqueue([entry(channel.id)]);
    await first.runOnce();
    await first.stop();

    clock.advance(5_000);
    const second = worker(clock); // a new process: new instances, same database and key
    expect(await second.runOnce()).toBe(1);
    expect(await row()).toMatchObject({ state: "delivered", attempts: 2 });
    expect(receiver.requests).toHaveLength(2);
  });

  it("redelivers a notification whose worker died mid-send once its lease runs out", async () => {
    const clock = new ManualClock(T0);
    const delivery = worker(clock, { leaseMs: 30_000 });
    const channel = await delivery.channels.create({ name: "ops", kind: "webhook", url: `${receiver.url}/hook` });
    await delivery.outbox.enqueue([entry(channel.id)]);
    const [claimed] = await delivery.outbox.claimDue(T0, 10, 30_000); // claimed, then the "process" crashes
    expect(claimed.attempts).toBe(1);
    expect(await delivery.runOnce()).toBe(0); // leased to the dead worker
    clock.advance(30_000);
    expect(await delivery.runOnce()).toBe(1);
    expect(await row()).toMatchObject({ state: "delivered", attempts: 2 });
  });

  it("never retries other 4xx and shows the error", async () => {
    const clock = new ManualClock(T0);
    const delivery = worker(clock);
    const channel = await delivery.channels.create({ name: "ops", kind: "slack", url: `${receiver.url}/services/T/B/SECRET` });
    receiver.respond(() => ({ status: 400, body: "invalid_blocks" }));
    await delivery.outbox.enqueue([entry(channel.id)]);
    await delivery.runOnce();
    expect(await row()).toMatchObject({ state: "failed", attempts: 1, lastStatusCode: 400, lastError: "HTTP 400: invalid_blocks" });
    clock.advance(3_600_000);
    expect(await delivery.runOnce()).toBe(0);
    expect(receiver.requests).toHaveLength(1);
    expect((await delivery.outbox.list({ states: ["failed"] }))[0]).toMatchObject({ lastError: "HTTP 400: invalid_blocks", alerts: 1 });
  });

  it("does not follow redirects", async () => {
    const clock = new ManualClock(T0);
    const delivery = worker(clock);
    const channel = await delivery.channels.create({ name: "ops", kind: "webhook", url: `${receiver.url}/old` });
    receiver.respond((req) => (req.path === "/old" ? { status: 307, headers: { location: `${receiver.url}/new` } } : { status: 200 }));
    await delivery.outbox.enqueue([entry(channel.id)]);
    await delivery.runOnce();
    expect(await row()).toMatchObject({ state: "failed", lastStatusCode: 307 });
    expect(receiver.requests.map((r) => r.path)).toEqual(["/old"]);
  });

  it("gives up after the maximum age into a dead letter, then hands it to the fallback channel", async () => {
    const clock = new ManualClock(T0);
    const delivery = worker(clock, { retry: { baseDelayMs: 10_000, maxDelayMs: 10_000, maxAgeMs: 30_000 } });
    const fallback = await delivery.channels.create({ name: "pager", kind: "webhook", url: `${receiver.url}/fallback` });
    const primary = await delivery.channels.create({ name: "ops", kind: "slack", url: `${receiver.url}/primary`, fallbackChannelId: fallback.id });
    receiver.respond((req) => (req.path === "/primary" ? { status: 502 } : { status: 200 }));
    await delivery.outbox.enqueue([entry(primary.id)]);
    for (let i = 0; i < 10 && (await row()).state === "pending"; i += 1) {
      await delivery.runOnce();
      clock.advance(10_000);
    }
    const dead = await row();
    expect(dead.state).toBe("dead");
    expect(dead.lastError).toMatch(/^HTTP 502; gave up after 4 attempts \(older than the maximum age\)$/);
    expect((await delivery.outbox.list({ states: ["dead"] })).map((n) => n.id)).toEqual([1]);
    // The fallback copy was queued and is delivered in the fallback's format (generic webhook).
    await delivery.runOnce();
    const copy = await prisma.notification.findFirstOrThrow({ where: { channelId: fallback.id } });
    expect(copy).toMatchObject({ state: "delivered", idempotencyKey: "k1:fallback:1" });
    const last = receiver.requests.at(-1)!;
    expect(last.path).toBe("/fallback");
    expect((last.json as { version: string }).version).toBe("4");
    expect(receiver.requests.filter((r) => r.path === "/primary")).toHaveLength(4);
  });

  it("falls back on a permanent 4xx too, and never loops between fallbacks", async () => {
    const clock = new ManualClock(T0);
    const delivery = worker(clock);
    const a = await delivery.channels.create({ name: "a", kind: "webhook", url: `${receiver.url}/a` });
    const b = await delivery.channels.create({ name: "b", kind: "webhook", url: `${receiver.url}/b`, fallbackChannelId: a.id });
    await delivery.channels.update(a.id, { fallbackChannelId: b.id });
    receiver.respond(() => ({ status: 404 }));
    await delivery.outbox.enqueue([entry(a.id)]);
    while ((await delivery.runOnce()) > 0) {
      // a → b → (a again is refused)
    }
    expect(receiver.requests.map((r) => r.path)).toEqual(["/a", "/b"]);
    expect(await prisma.notification.count()).toBe(2);
  });

  it("signs generic webhook bodies with the channel's HMAC secret", async () => {
    const clock = new ManualClock(T0);
    const delivery = worker(clock);
    const channel = await delivery.channels.create({ name: "ops", kind: "webhook", url: `${receiver.url}/hook`, secret: "shared-secret" });
    await delivery.outbox.enqueue([entry(channel.id)]);
    await delivery.runOnce();
    const [req] = receiver.requests;
    const expected = `sha256=${createHmac("sha256", "shared-secret").update(req.body).digest("hex")}`;
    expect(req.headers["x-loopscope-signature"]).toBe(expected);
    expect(req.headers["content-type"]).toBe("application/json");
  });

  it("times out a receiver that never answers and retries it", async () => {
    const clock = new ManualClock(T0);
    const delivery = worker(clock, { timeoutMs: 300 });
    const channel = await delivery.channels.create({ name: "ops", kind: "webhook", url: `${receiver.url}/slow` });
    receiver.respond((_req, i) => (i === 0 ? { hang: true } : { status: 200 }));
    await delivery.outbox.enqueue([entry(channel.id)]);
    await delivery.runOnce();
    expect(await row()).toMatchObject({ state: "pending", lastError: "timed out after 300 ms" });
    clock.advance(1_000);
    await delivery.runOnce();
    expect((await row()).state).toBe("delivered");
  });

  it("refuses link-local destinations at send time too, and keeps the URL out of errors", async () => {
    const clock = new ManualClock(T0);
    const delivery = worker(clock);
    const channel = await delivery.channels.create({ name: "ops", kind: "webhook", url: `${receiver.url}/hook` });
    // Simulate a URL stored before the policy changed.
    await prisma.channel.update({ where: { id: channel.id }, data: { urlEncrypted: secrets.encrypt("http://169.254.169.254/latest/SECRETPATH") } });
    await delivery.outbox.enqueue([entry(channel.id)]);
    await delivery.runOnce();
    const failed = await row();
    expect(failed.state).toBe("failed");
    expect(failed.lastError).toMatch(/^refused to connect to 169\.254\.169\.254: it is a cloud metadata endpoint; set LOOPSCOPE_ALLOW_METADATA_TARGETS=true to allow it$/);

    // A connection error names no path.
    await prisma.channel.update({ where: { id: channel.id }, data: { urlEncrypted: secrets.encrypt("http://127.0.0.1:1/SECRETPATH?token=SECRETTOKEN") } });
    await delivery.outbox.enqueue([entry(channel.id, "k2")]);
    await delivery.runOnce();
    const refused = await row(2);
    expect(refused.state).toBe("pending");
    expect(refused.lastError).toMatch(/ECONNREFUSED/);
    expect(refused.lastError).not.toMatch(/SECRET/);
  });

  it("sends a test message per channel and reports the outcome", async () => {
    const clock = new ManualClock(T0);
    const delivery = worker(clock);
    const ok = await delivery.channels.create({ name: "ok", kind: "discord", url: `${receiver.url}/ok` });
    const broken = await delivery.channels.create({ name: "broken", kind: "googlechat", url: `${receiver.url}/gone` });
    receiver.respond((req) => (req.path === "/ok" ? { status: 204 } : { status: 410, body: "webhook deleted" }));
    expect(await delivery.sendTest(ok.id)).toMatchObject({ ok: true, statusCode: 204, error: null });
    const discord = receiver.requests[0].json as { embeds: { title: string }[] };
    expect(discord.embeds[0].title).toContain("Test message from Loopscope");
    expect(await delivery.sendTest(broken.id)).toMatchObject({ ok: false, statusCode: 410, error: "HTTP 410: webhook deleted" });
    expect((receiver.requests[1].json as { text: string }).text).toContain("Test message from Loopscope");
  });

  it("counts attempts and failures in loopscope_notifications_* metrics", async () => {
    const clock = new ManualClock(T0);
    const delivery = worker(clock);
    const channel = await delivery.channels.create({ name: "metrics-test", kind: "webhook", url: `${receiver.url}/hook` });
    receiver.respond((_req, i) => (i === 0 ? { status: 500 } : { status: 200 }));
    await delivery.outbox.enqueue([entry(channel.id)]);
    await delivery.runOnce();
    clock.advance(1_000);
    await delivery.runOnce();
    const text = await metricsRegistry().metrics();
    expect(text).toMatch(/loopscope_notifications_total\{channel="metrics-test",kind="webhook"\} 2/);
    expect(text).toMatch(/loopscope_notifications_failed_total\{channel="metrics-test",kind="webhook",reason="retry"\} 1/);
    expect(text).toMatch(/loopscope_notification_latency_seconds_count\{channel="metrics-test",kind="webhook"\} 2/);
  });

  it("prunes finished notifications and alert history past the retention, keeping pending ones", async () => {
    const clock = new ManualClock(T0);
    const { delivery, notifier } = pipeline(prisma, clock, secrets);
    workers.push(delivery);
    const channel = await delivery.channels.create({ name: "ops", kind: "webhook", url: `${receiver.url}/hook` });
    await delivery.outbox.enqueue([entry(channel.id, "old"), entry(channel.id, "pending-old")]);
    await delivery.runOnce(T0); // both delivered
    await prisma.notification.update({ where: { id: 2 }, data: { state: "pending" } });
    await prisma.alertEvent.create({ data: { ruleId: 1, fingerprint: "0123456789abcdef", labels: {}, state: "firing", at: new Date(T0) } });
    clock.advance(8 * 86_400_000);
    expect(await notifier.prune()).toEqual({ notifications: 1, events: 1 });
    expect((await prisma.notification.findMany()).map((n) => n.idempotencyKey)).toEqual(["pending-old"]);
  });
});
