import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { InstantSample, RuleDataSources } from "../../../server/alerting/data-sources";
import { AlertEvaluator } from "../../../server/alerting/evaluator";
import { matchesAll } from "../../../server/alerting/matchers";
import { anomalyWindowSource, controllersFromSeries } from "../../../server/alerting/sources";
import type { WebhookPayloadV4 } from "../../../server/alerting/payloads/webhook";
import type { SecretBox } from "../../../server/secrets";
import { type PrismaClient, prismaClient } from "../../../server/store/prisma";
import { createTestDatabase, type TestDatabase } from "../../support/db";
import { clearAlertingTables, EXTERNAL_URL, ManualClock, pipeline, type Receiver, startReceiver, testSecrets } from "./support";

const T0 = Date.parse("2026-03-01T12:00:00Z");
const S = 1_000;

/** Data sources backed by a map the test edits: metric → samples. */
function fakeRecorder() {
  const values = new Map<string, InstantSample[]>();
  const sources: RuleDataSources = {
    queryInstant: async (query) => (values.get(query.metric) ?? []).filter((s) => matchesAll(query.matchers, s.labels)),
    openAnomalyWindows: async () => [],
    leakTrends: async () => [],
    lastSampleAge: async () => 0,
  };
  return { values, sources };
}

const depthRule = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  kind: "threshold",
  spec: { query: { metric: `${name}_metric` }, comparator: ">", value: 100 },
  interval: "15s",
  annotations: { summary: "{{ $labels.controller }} is at {{ $value }}" },
  ...extra,
});

let db: TestDatabase;
let prisma: PrismaClient;
let secrets: SecretBox;
let receiver: Receiver;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = prismaClient(db.url);
  secrets = testSecrets();
  receiver = await startReceiver();
});

afterAll(async () => {
  await receiver.close();
  await prisma.$disconnect();
  await db.drop();
});

beforeEach(async () => {
  await clearAlertingTables(prisma);
  receiver.requests.length = 0;
  receiver.respond(() => ({ status: 200 }));
});

function setup(channel: Record<string, unknown> = {}) {
  const clock = new ManualClock(T0);
  const recorder = fakeRecorder();
  const evaluator = new AlertEvaluator({ prisma, sources: recorder.sources, externalURL: EXTERNAL_URL, clock: clock.read });
  const { delivery, notifier } = pipeline(prisma, clock, secrets);
  const createChannel = (extra: Record<string, unknown> = {}) =>
    delivery.channels.create({ name: "ops", kind: "webhook", url: `${receiver.url}/hook/secret-token`, ...channel, ...extra } as never);
  /** Evaluates, dispatches and delivers at the current time. */
  const cycle = async () => {
    await evaluator.evaluateDue(clock.now);
    const queued = await notifier.tick(clock.now);
    while ((await delivery.runOnce(clock.now)) > 0) {
      // deliver everything due
    }
    return queued;
  };
  return { clock, recorder, evaluator, delivery, notifier, createChannel, cycle };
}

const bodies = () => receiver.requests.map((r) => r.json as WebhookPayloadV4);

describe("alerting pipeline against Postgres and a loopback receiver", () => {
  afterEach(() => undefined);

  it("firing → one message per group after group_wait, with the Alertmanager v4 body", async () => {
    const { clock, recorder, evaluator, createChannel, cycle } = setup();
    await createChannel();
    await evaluator.rules.create(depthRule("QueueDeep"));
    await evaluator.rules.create(depthRule("Stuck"));
    recorder.values.set("QueueDeep_metric", [
      { labels: { controller: "pods" }, value: 150 },
      { labels: { controller: "nodes" }, value: 170 },
    ]);
    recorder.values.set("Stuck_metric", [{ labels: { controller: "pods" }, value: 500 }]);

    expect(await cycle()).toBe(0); // firing now, but group_wait (30 s) has not passed
    expect(receiver.requests).toHaveLength(0);
    clock.advance(29 * S);
    expect(await cycle()).toBe(0);
    clock.advance(1 * S);
    expect(await cycle()).toBe(2);
    expect(receiver.requests).toHaveLength(2);
    const byGroup = Object.fromEntries(bodies().map((b) => [b.groupLabels.alertname, b]));
    expect(byGroup.QueueDeep.alerts).toHaveLength(2);
    expect(byGroup.Stuck.alerts).toHaveLength(1);
    const body = byGroup.QueueDeep;
    expect(body.version).toBe("4");
    expect(body.status).toBe("firing");
    expect(body.receiver).toBe("ops");
    expect(body.notification_reason).toBe("first notification");
    expect(body.externalURL).toBe(EXTERNAL_URL);
    expect(body.groupKey).toMatch(/^\{\}\/\{channel_id="\d+"\}:\{alertname="QueueDeep"\}$/);
    expect(body.alerts[0].annotations.summary).toMatch(/^(pods is at 150|nodes is at 170)$/);
    expect(body.alerts[0].generatorURL).toBe(`${EXTERNAL_URL}/alerts?alert=${body.alerts[0].fingerprint}`);
    expect(body.alerts[0].startsAt).toBe("2026-03-01T12:00:00Z");
    expect(receiver.requests[0].path).toBe("/hook/secret-token");

    // Nothing changed: the next group_interval tick sends nothing.
    clock.advance(300 * S);
    expect(await cycle()).toBe(0);
    expect(receiver.requests).toHaveLength(2);

    // A new alert in an existing group: sent at the next group_interval tick.
    recorder.values.set("Stuck_metric", [
      { labels: { controller: "pods" }, value: 500 },
      { labels: { controller: "nodes" }, value: 500 },
    ]);
    clock.advance(15 * S);
    expect(await cycle()).toBe(0);
    clock.advance(285 * S);
    expect(await cycle()).toBe(1);
    expect(bodies()[2].notification_reason).toBe("new alerts added");
    expect(bodies()[2].alerts).toHaveLength(2);

    const events = await evaluator.alerts.history();
    expect(events.filter((e) => e.state === "firing")).toHaveLength(4);
  });

  it("sends resolved notifications, and none when send_resolved is off", async () => {
    for (const sendResolved of [true, false]) {
      await clearAlertingTables(prisma);
      receiver.requests.length = 0;
      const { clock, recorder, evaluator, createChannel, cycle } = setup({ sendResolved, groupWait: "10s", groupInterval: "1m" });
      await createChannel();
      await evaluator.rules.create(depthRule("QueueDeep"));
      recorder.values.set("QueueDeep_metric", [{ labels: { controller: "pods" }, value: 150 }]);
      await cycle();
      clock.advance(10 * S);
      await cycle();
      expect(receiver.requests).toHaveLength(1);
      recorder.values.set("QueueDeep_metric", [{ labels: { controller: "pods" }, value: 5 }]);
      clock.advance(15 * S);
      await cycle(); // resolved now; group_interval not over
      expect(receiver.requests).toHaveLength(1);
      clock.advance(45 * S);
      await cycle();
      if (sendResolved) {
        expect(receiver.requests).toHaveLength(2);
        const body = bodies()[1];
        expect(body.status).toBe("resolved");
        expect(body.notification_reason).toBe("all alerts resolved");
        expect(body.alerts[0].status).toBe("resolved");
        expect(body.alerts[0].endsAt).toBe(new Date(T0 + 25 * S).toISOString().replace(".000Z", "Z"));
      } else {
        expect(receiver.requests).toHaveLength(1);
      }
      // The resolved alert is not reported again on later ticks.
      clock.advance(60 * S);
      await cycle();
      expect(receiver.requests).toHaveLength(sendResolved ? 2 : 1);
    }
  });

  it("honours repeat_interval (checked on group_interval ticks)", async () => {
    const { clock, recorder, evaluator, createChannel, cycle } = setup({ groupWait: "0s", groupInterval: "1m", repeatInterval: "5m" });
    await createChannel();
    await evaluator.rules.create(depthRule("QueueDeep", { interval: "1m" }));
    recorder.values.set("QueueDeep_metric", [{ labels: { controller: "pods" }, value: 150 }]);
    const sentAt: number[] = [];
    for (let minute = 0; minute <= 12; minute += 1) {
      const before = receiver.requests.length;
      await cycle();
      if (receiver.requests.length > before) sentAt.push(minute);
      clock.advance(60 * S);
    }
    // First at 0; repeat_interval 5 m elapses strictly after minute 5 → sent at the minute-6 tick, then 12.
    expect(sentAt).toEqual([0, 6, 12]);
    expect(bodies().map((b) => b.notification_reason)).toEqual(["first notification", "repeat interval elapsed", "repeat interval elapsed"]);
  });

  it("a silence suppresses matching alerts until it expires", async () => {
    const { clock, recorder, evaluator, notifier, createChannel, cycle } = setup({ groupWait: "0s", groupInterval: "1m", groupBy: ["..."] });
    await createChannel();
    await evaluator.rules.create(depthRule("QueueDeep"));
    recorder.values.set("QueueDeep_metric", [
      { labels: { controller: "pods" }, value: 150 },
      { labels: { controller: "nodes" }, value: 150 },
    ]);
    const silence = await notifier.silences.create({
      matchers: [{ name: "controller", op: "=", value: "pods" }],
      endsAt: T0 + 3_600_000,
      createdBy: "sre@example.com",
      comment: "maintenance",
    });
    expect(silence.state).toBe("active");
    await cycle();
    expect(receiver.requests).toHaveLength(1);
    expect(bodies()[0].alerts.map((a) => a.labels.controller)).toEqual(["nodes"]);
    const muting = await notifier.currentMuting(clock.now);
    expect([...muting.silencedBy.values()]).toEqual([[silence.id]]);

    clock.advance(120 * S);
    await cycle();
    expect(receiver.requests).toHaveLength(1);

    const expired = await notifier.silences.expire(silence.id);
    expect(expired.state).toBe("expired");
    await expect(notifier.silences.expire(silence.id)).rejects.toThrow(/already expired/);
    clock.advance(60 * S);
    await cycle();
    expect(receiver.requests).toHaveLength(2);
    expect(bodies()[1].alerts.map((a) => a.labels.controller)).toEqual(["pods"]);
  });

  it("inhibits warnings of a controller while a critical alert of it fires", async () => {
    const { recorder, evaluator, createChannel, cycle } = setup({ groupWait: "0s", groupBy: [] });
    await createChannel();
    await evaluator.rules.create(depthRule("QueueDeep", { labels: { severity: "warning" } }));
    await evaluator.rules.create(depthRule("Stuck", { labels: { severity: "critical" } }));
    recorder.values.set("QueueDeep_metric", [
      { labels: { controller: "pods" }, value: 150 },
      { labels: { controller: "nodes" }, value: 150 },
    ]);
    recorder.values.set("Stuck_metric", [{ labels: { controller: "pods" }, value: 150 }]);
    await cycle();
    const sent = bodies()[0].alerts.map((a) => `${a.labels.alertname}/${a.labels.controller}`).sort();
    expect(sent).toEqual(["QueueDeep/nodes", "Stuck/pods"]);
  });

  it("routes by channel matchers; each channel gets its own groups", async () => {
    const { recorder, evaluator, delivery, cycle } = setup();
    await delivery.channels.create({ name: "pods-team", kind: "webhook", url: `${receiver.url}/pods`, groupWait: 0, matchers: [{ name: "controller", op: "=", value: "pods" }] });
    await delivery.channels.create({ name: "everyone", kind: "webhook", url: `${receiver.url}/all`, groupWait: 0 });
    await evaluator.rules.create(depthRule("QueueDeep"));
    recorder.values.set("QueueDeep_metric", [
      { labels: { controller: "pods" }, value: 150 },
      { labels: { controller: "nodes" }, value: 150 },
    ]);
    await cycle();
    const byPath = Object.fromEntries(receiver.requests.map((r) => [r.path, (r.json as WebhookPayloadV4).alerts.length]));
    expect(byPath).toEqual({ "/pods": 1, "/all": 2 });
  });

  it("alert state survives an engine restart: a pending alert still fires after `for`", async () => {
    const first = setup();
    await first.evaluator.rules.create(depthRule("QueueDeep", { for: "2m" }));
    first.recorder.values.set("QueueDeep_metric", [{ labels: { controller: "pods" }, value: 150 }]);
    await first.evaluator.evaluateDue(T0);
    expect((await first.evaluator.alerts.list())[0].state).toBe("pending");

    // A new process: new evaluator instance, state loaded from Postgres.
    const restarted = new AlertEvaluator({ prisma, sources: first.recorder.sources, externalURL: EXTERNAL_URL, clock: () => T0 + 120 * S });
    await restarted.evaluateDue(T0 + 120 * S);
    const [alert] = await restarted.alerts.list();
    expect(alert.state).toBe("firing");
    expect(alert.activeAt.getTime()).toBe(T0);
    expect(alert.firedAt?.getTime()).toBe(T0 + 120 * S);
    const history = await restarted.alerts.history();
    expect(history.map((e) => e.state).reverse()).toEqual(["pending", "firing"]);
  });

  it("a disabled rule's firing alerts resolve and are notified as resolved", async () => {
    const { clock, recorder, evaluator, createChannel, cycle } = setup({ groupWait: "0s", groupInterval: "10s" });
    await createChannel();
    const rule = await evaluator.rules.create(depthRule("QueueDeep"));
    recorder.values.set("QueueDeep_metric", [{ labels: { controller: "pods" }, value: 150 }]);
    await cycle();
    await evaluator.rules.update(rule.id, { enabled: false });
    clock.advance(10 * S);
    await cycle();
    expect(bodies().map((b) => b.status)).toEqual(["firing", "resolved"]);
  });
});

describe("rules, built-ins and channels in Postgres", () => {
  it("creates built-in rules once per controller and keeps the user's edits", async () => {
    const controllers = ["pods"];
    const evaluator = new AlertEvaluator({ prisma, sources: fakeRecorder().sources, externalURL: EXTERNAL_URL, controllers: () => controllers });
    expect(await evaluator.ensureDefaultRules()).toBe(5);
    const stuck = (await evaluator.rules.list()).find((r) => r.name === "StuckWorker")!;
    expect(stuck.builtin).toBe(true);
    await evaluator.rules.update(stuck.id, { spec: { ...stuck.spec, value: 120 } });
    controllers.push("nodes");
    // One rule per condition covers every controller: nothing new for another one.
    expect(await evaluator.ensureDefaultRules()).toBe(0);
    const again = await evaluator.rules.get(stuck.id);
    expect(again.kind === "threshold" && again.spec.value).toBe(120);
    await expect(evaluator.rules.remove(stuck.id)).rejects.toThrow(/built-in rule .* disable it instead/);
  });

  it("refuses invalid rules and duplicate names with the field and the reason", async () => {
    const evaluator = new AlertEvaluator({ prisma, sources: fakeRecorder().sources, externalURL: EXTERNAL_URL });
    await expect(evaluator.rules.create({ ...depthRule("Bad"), spec: { query: { metric: "x y" }, comparator: ">", value: 1 } })).rejects.toMatchObject({
      issues: ["spec.query.metric: must be a metric name such as workqueue_depth"],
    });
    const rule = await evaluator.rules.create(depthRule("Good"));
    await expect(evaluator.rules.create(depthRule("Good"))).rejects.toThrow(/name: a rule named "Good" already exists/);
    await expect(evaluator.rules.update(rule.id, { for: "soon" })).rejects.toMatchObject({ issues: [expect.stringMatching(/^for: "soon" is not a duration/)] });
    const updated = await evaluator.rules.update(rule.id, { for: "5m", labels: { severity: "critical" } });
    expect(updated.forMs).toBe(300_000);
    expect(updated.intervalMs).toBe(15_000);
    expect(updated.labels).toEqual({ severity: "critical" });
    await evaluator.rules.remove(rule.id);
    await expect(evaluator.rules.get(rule.id)).rejects.toThrow(/does not exist/);
  });

  it("stores webhook URLs and secrets encrypted and only returns the masked form", async () => {
    const { delivery } = pipeline(prisma, new ManualClock(T0), secrets);
    const url = "https://hooks.slack.com/services/T0001/B0001/VERYSECRETTOKEN";
    const created = await delivery.channels.create({ name: "slack", kind: "slack", url, secret: "hmac-key" });
    expect(created.urlMasked).toBe("https://hooks.slack.com/…/****");
    expect(JSON.stringify(created)).not.toContain("VERYSECRETTOKEN");
    expect(JSON.stringify(await delivery.channels.list())).not.toContain("VERYSECRETTOKEN");
    const [row] = await prisma.$queryRawUnsafe<Record<string, unknown>[]>("SELECT * FROM channels");
    expect(JSON.stringify(row)).not.toContain("VERYSECRETTOKEN");
    expect(JSON.stringify(row)).not.toContain("hmac-key");
    expect((await delivery.channels.target(created.id))?.url).toBe(url);
    expect((await delivery.channels.target(created.id))?.secret).toBe("hmac-key");

    await expect(delivery.channels.create({ name: "meta", kind: "webhook", url: "http://169.254.169.254/latest" })).rejects.toThrow("url: refused to connect to 169.254.169.254: it is a cloud metadata endpoint; set LOOPSCOPE_ALLOW_METADATA_TARGETS=true to allow it");
    await expect(delivery.channels.create({ name: "slack", kind: "slack", url })).rejects.toThrow(/already exists/);
    await expect(delivery.channels.update(created.id, { fallbackChannelId: created.id })).rejects.toThrow(/own fallback/);
    const updated = await delivery.channels.update(created.id, { groupWait: "1m", secret: "" });
    expect(updated.groupWaitMs).toBe(60_000);
    expect(updated.hasSecret).toBe(false);
    expect((await delivery.channels.target(created.id))?.url).toBe(url);
  });

  it("reads open anomaly windows from anomaly_windows, as of any time", async () => {
    await prisma.anomalyWindow.deleteMany();
    await prisma.anomalyWindow.createMany({
      data: [
        { seriesKey: "depth", controller: "pods", detector: "robust", params: {}, startAt: new Date(T0), endAt: null, peakScore: 0.9, direction: "above" },
        { seriesKey: "lag", controller: null, detector: "robust", params: {}, startAt: new Date(T0), endAt: new Date(T0 + 60 * S), peakScore: 0.7, direction: "below" },
      ],
    });
    const windows = anomalyWindowSource(prisma);
    expect((await windows.openAnomalyWindows(T0 - 1)).length).toBe(0);
    expect((await windows.openAnomalyWindows(T0 + 30 * S)).map((w) => w.seriesKey).sort()).toEqual(["depth", "lag"]);
    const later = await windows.openAnomalyWindows(T0 + 60 * S);
    expect(later).toEqual([{ seriesKey: "depth", controller: "pods", detector: "robust", direction: "above", peakScore: 0.9, startAt: T0 }]);
  });

  it("finds the controllers for the built-in rules in the recorded series", async () => {
    await prisma.series.deleteMany();
    await prisma.series.createMany({
      data: [
        { hash: "a", metric: "workqueue_depth", labels: { controller: "pods", name: "pods" }, type: "gauge", source: "self" },
        { hash: "b", metric: "workqueue_depth", labels: { controller: "nodes", name: "nodes" }, type: "gauge", source: "self" },
        { hash: "c", metric: "workqueue_adds_total", labels: { controller: "other" }, type: "counter", source: "self" },
        { hash: "d", metric: "workqueue_depth", labels: { name: "anonymous" }, type: "gauge", source: "self" },
      ],
    });
    expect(await controllersFromSeries(prisma)()).toEqual(["nodes", "pods"]);
  });
});
