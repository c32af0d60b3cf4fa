import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAlerting, externalUrlOf } from "../../../server/alerting";
import type { InstantSample } from "../../../server/alerting/data-sources";
import { DeliveryWorker } from "../../../server/alerting/delivery";
import { AlertEvaluator } from "../../../server/alerting/evaluator";
import { Notifier } from "../../../server/alerting/notifier";
import type { WebhookPayloadV4 } from "../../../server/alerting/payloads/webhook";
import { testServices } from "../../support/services";
import { type PrismaClient, prismaClient } from "../../../server/store/prisma";
import { createCallerFactory } from "../../../server/trpc/init";
import { alertsRouter } from "../../../server/trpc/routers/alerts";
import { createTestDatabase, type TestDatabase } from "../../support/db";
import { clearAlertingTables, EXTERNAL_URL, type Receiver, startReceiver, testSecrets } from "./support";

const services = testServices();

let db: TestDatabase;
let prisma: PrismaClient;
let receiver: Receiver;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = prismaClient(db.url);
  receiver = await startReceiver();
});

afterAll(async () => {
  await receiver.close();
  await prisma.$disconnect();
  await db.drop();
});

describe("the running services (real timers, ms-scale routes)", () => {
  it("evaluate, group, deliver firing and then resolved notifications on their own", async () => {
    await clearAlertingTables(prisma);
    let depth: InstantSample[] = [{ labels: { controller: "pods" }, value: 500 }];
    const secrets = testSecrets();
    const delivery = new DeliveryWorker({ prisma, secrets, policy: { allowLinkLocal: false }, externalURL: EXTERNAL_URL, pollMs: 20 });
    const notifier = new Notifier({ prisma, delivery, externalURL: EXTERNAL_URL, tickMs: 20 });
    const evaluator = new AlertEvaluator({
      prisma,
      externalURL: EXTERNAL_URL,
      tickMs: 20,
      sources: { queryInstant: async () => depth, openAnomalyWindows: async () => [], leakTrends: async () => [], lastSampleAge: async () => 0 },
    });
    await delivery.channels.create({ name: "live", kind: "webhook", url: `${receiver.url}/live`, groupWait: "50ms", groupInterval: "100ms", repeatInterval: "1h" });
    await evaluator.rules.create({ name: "Deep", kind: "threshold", spec: { query: { metric: "workqueue_depth" }, comparator: ">", value: 100 }, interval: "1s" });
    const services = [delivery, notifier, evaluator];
    for (const s of services) await s.start();
    try {
      const [first] = await receiver.waitFor(1);
      expect((first.json as WebhookPayloadV4).status).toBe("firing");
      depth = [];
      const [, second] = await receiver.waitFor(2);
      expect((second.json as WebhookPayloadV4).status).toBe("resolved");
      expect((second.json as WebhookPayloadV4).notification_reason).toBe("all alerts resolved");
    } finally {
      for (const s of services.reverse()) await s.stop();
    }
    expect(receiver.requests).toHaveLength(2);
  });
});

describe("wiring and the tRPC router", () => {
  it("createAlerting builds the services; the router validates, masks and reports", async () => {
    await clearAlertingTables(prisma);
    receiver.requests.length = 0;
    const alerting = createAlerting({
      config: { HOST: "127.0.0.1", PORT: 3999, LOOPSCOPE_ALLOW_PRIVATE_TARGETS: false, dataDir: "/nonexistent", LOOPSCOPE_PUBLIC_URL: undefined, LOOPSCOPE_SECRET_KEY: "cd".repeat(32) },
      databaseUrl: db.url,
      sources: { queryInstant: async () => [{ labels: { controller: "pods" }, value: 5 }], openAnomalyWindows: async () => [], leakTrends: async () => [], lastSampleAge: async () => 0 },
      controllers: () => ["pods"],
    });
    expect(externalUrlOf({ HOST: "127.0.0.1", PORT: 3999 })).toBe("http://127.0.0.1:3999");
    expect(externalUrlOf({ HOST: "0.0.0.0", PORT: 1, LOOPSCOPE_PUBLIC_URL: "https://ls.example.com/" })).toBe("https://ls.example.com");
    for (const s of alerting.services) await s.start();
    try {
      services.alerting.provide(alerting.evaluator);
      services.notifier.provide(alerting.notifier);
      const caller = createCallerFactory(alertsRouter)({ headers: new Headers(), services });

      const { rules } = await caller.rules.list();
      expect(rules.map((r) => r.name)).toContain("StuckWorker");

      await expect(caller.rules.create({ name: "Bad", kind: "threshold", spec: { query: { metric: "1x" }, comparator: ">", value: 1 } })).rejects.toMatchObject({
        code: "BAD_REQUEST",
        message: expect.stringContaining("spec.query.metric: must be a metric name"),
      });
      expect(await caller.rules.validate({ name: "X", kind: "leak", spec: {} })).toEqual({ ok: false, issues: [expect.stringMatching(/^spec\.minSlope:/)] });
      const rule = await caller.rules.create({ name: "Shallow", kind: "threshold", spec: { query: { metric: "workqueue_depth" }, comparator: "<", value: 10 }, interval: "1m" });
      await expect(caller.rules.create({ name: "Shallow", kind: "threshold", spec: { query: { metric: "m" }, comparator: "<", value: 1 } })).rejects.toMatchObject({ code: "CONFLICT" });
      const preview = await caller.rules.preview({ id: rule.id, hours: 1 });
      expect(preview.spans).toHaveLength(1);
      expect(preview.evaluations).toBe(61);

      const channel = await caller.channels.create({ name: "hook", kind: "webhook", url: `${receiver.url}/path/TOKEN123`, secret: "s" });
      expect(channel.urlMasked).toBe(`${new URL(receiver.url).protocol}//${new URL(receiver.url).host}/…/****`);
      expect(JSON.stringify(await caller.channels.list())).not.toContain("TOKEN123");
      await expect(caller.channels.create({ name: "x", kind: "teams" as never, url: "http://x" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
      const test = await caller.channels.test({ id: channel.id });
      expect(test).toMatchObject({ ok: true, statusCode: 200 });

      const silence = await caller.silences.create({ matchers: [{ name: "controller", op: "=", value: "pods" }], endsAt: Date.now() + 60_000, createdBy: "me", comment: "test" });
      expect((await caller.silences.list({ state: "active" })).map((s) => s.id)).toEqual([silence.id]);
      await caller.silences.expire({ id: silence.id });
      await expect(caller.silences.expire({ id: silence.id })).rejects.toMatchObject({ code: "BAD_REQUEST" });

      await alerting.evaluator.evaluateDue();
      const alerts = await caller.list({ states: ["firing"] });
      expect(alerts.map((a) => a.ruleName)).toEqual(["Shallow"]);
      expect(alerts[0]).toMatchObject({ silencedBy: [], inhibited: false });
      expect((await caller.history({ ruleId: rule.id, limit: 10 })).map((e) => e.state)).toEqual(["firing"]);
      expect((await caller.history({ limit: 10 })).filter((e) => e.state === "pending")).toHaveLength(2);

      const deliveries = await caller.deliveries.list({ limit: 10 });
      expect(deliveries[0]).toMatchObject({ status: "test", state: "delivered" });
      expect(JSON.stringify(deliveries)).not.toContain("TOKEN123");
      expect((await caller.deliveries.counts()).delivered).toBeGreaterThanOrEqual(1);
      await expect(caller.deliveries.requeue({ id: deliveries[0].id })).rejects.toMatchObject({ code: "BAD_REQUEST" });
      await expect(caller.rules.delete({ id: rules.find((r) => r.builtin)!.id })).rejects.toMatchObject({ code: "CONFLICT" });
    } finally {
      for (const s of [...alerting.services].reverse()) await s.stop();
    }
  });
});
