import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InstantSample } from "../../../server/alerting/data-sources";
import { DeliveryWorker } from "../../../server/alerting/delivery";
import { AlertEvaluator } from "../../../server/alerting/evaluator";
import { Notifier } from "../../../server/alerting/notifier";
import { type PrismaClient, prismaClient } from "../../../server/store/prisma";
import { createTestDatabase, type TestDatabase } from "../../support/db";
import { type OracleProcess, startAlertmanager } from "../../support/prometheus";
import { clearAlertingTables, EXTERNAL_URL, type Receiver, startReceiver, testSecrets } from "./support";

/**
 * The `alertmanager` channel against real Alertmanager (Debian's 0.25): alerts are
 * forwarded as Prometheus's rule manager forwards them, so a short alert reaches
 * Alertmanager at its first evaluation and its resolution at the evaluation after it
 * ends — no Loopscope-side group_wait/group_interval in between.
 */

interface AmAlert {
  labels: Record<string, string>;
  startsAt: string;
  endsAt: string;
  status: { state: string };
}

const INTERVAL_MS = 5_000;
const ALERT_MS = 16_000;

let db: TestDatabase;
let prisma: PrismaClient;
let alertmanager: OracleProcess;
let hook: Receiver;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = prismaClient(db.url);
  hook = await startReceiver();
  alertmanager = await startAlertmanager(`${hook.url}/am`, { groupWait: "1s", groupInterval: "1s", repeatInterval: "1h" });
}, 90_000);

afterAll(async () => {
  await alertmanager?.stop();
  await hook?.close();
  await prisma?.$disconnect();
  await db?.drop();
});

async function alertsInAlertmanager(): Promise<AmAlert[]> {
  const response = await fetch(`${alertmanager.url}/api/v2/alerts?active=true&silenced=true&inhibited=true&unprocessed=true`);
  return (await response.json()) as AmAlert[];
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("forwarding to real Alertmanager", () => {
  it("a 16-second alert and its resolution reach Alertmanager within one evaluation interval plus a second", async () => {
    await clearAlertingTables(prisma);
    let stuck: InstantSample[] = [];
    const delivery = new DeliveryWorker({ prisma, secrets: testSecrets(), policy: { allowLinkLocal: false }, externalURL: EXTERNAL_URL, pollMs: 50 });
    const notifier = new Notifier({ prisma, delivery, externalURL: EXTERNAL_URL, tickMs: 100 });
    const evaluator = new AlertEvaluator({
      prisma,
      externalURL: EXTERNAL_URL,
      tickMs: 100,
      sources: { queryInstant: async () => stuck, openAnomalyWindows: async () => [], leakTrends: async () => [], lastSampleAge: async () => 0 },
    });
    // The channel's own grouping settings are the slow defaults: they must not apply to Alertmanager.
    await delivery.channels.create({ name: "am", kind: "alertmanager", url: alertmanager.url });
    await evaluator.rules.create({
      name: "StuckWorker",
      kind: "threshold",
      spec: { query: { metric: "workqueue_longest_running_processor_seconds", agg: "max", by: ["controller"] }, comparator: ">", value: 60 },
      interval: `${INTERVAL_MS / 1000}s`,
      labels: { severity: "critical" },
    });
    const services = [delivery, notifier, evaluator];
    for (const s of services) await s.start();
    try {
      // The condition starts right after an evaluation (the worst case: a whole interval until the next one).
      await waitFor("the rule's first evaluation", async () => (evaluator.ruleHealth().some((h) => h.lastDurationMs !== null) ? true : undefined), 30_000);
      const began = Date.now();
      stuck = [{ labels: { controller: "pods" }, value: 75 }];
      const firing = await waitFor("the alert in Alertmanager", async () => (await alertsInAlertmanager()).find((a) => a.labels.alertname === "StuckWorker"), 30_000);
      const firingAfterMs = Date.now() - began;
      expect(firing.labels).toMatchObject({ alertname: "StuckWorker", controller: "pods", severity: "critical" });
      expect(firing.status.state).toBe("active");
      // Valid for a few minutes ahead (re-sent every minute), not for hours.
      const validForMs = Date.parse(firing.endsAt) - Date.now();
      expect(validForMs).toBeGreaterThan(60_000);
      expect(validForMs).toBeLessThanOrEqual(5 * 60_000);

      await new Promise((resolve) => setTimeout(resolve, Math.max(0, began + ALERT_MS - Date.now())));
      const ended = Date.now();
      stuck = [];
      const resolved = await waitFor(
        "the resolution in Alertmanager",
        async () => {
          const alert = (await alertsInAlertmanager()).find((a) => a.labels.alertname === "StuckWorker");
          return alert === undefined || Date.parse(alert.endsAt) <= Date.now() ? (alert ?? { endsAt: "" }) : undefined;
        },
        30_000,
      );
      const resolvedAfterMs = Date.now() - ended;
      const state = await prisma.alertState.findFirstOrThrow({ where: { state: "resolved" } });
      // Alertmanager got the real end (the evaluation that saw the condition gone), not a guess.
      if (resolved.endsAt) expect(Date.parse(resolved.endsAt)).toBe(state.resolvedAt?.getTime());
      const deliveries = await prisma.notification.findMany({ orderBy: { id: "asc" } });
      console.log(JSON.stringify(deliveries.map((d) => ({ created: d.createdAt.getTime() - began, state: d.state, attempts: d.attempts, lastError: d.lastError }))));
      console.log(JSON.stringify({ alertmanager: { intervalMs: INTERVAL_MS, alertMs: ALERT_MS, firingAfterMs, resolvedAfterMs, validForMs } }));
      expect(firingAfterMs).toBeLessThanOrEqual(INTERVAL_MS + 1_000);
      expect(resolvedAfterMs).toBeLessThanOrEqual(INTERVAL_MS + 1_000);
      // Alertmanager's own webhook then notifies both (its grouping, not Loopscope's).
      const received = await hook.waitFor(2);
      expect(received.map((r) => (r.json as { status: string }).status)).toEqual(["firing", "resolved"]);
    } finally {
      for (const s of services.reverse()) await s.stop();
    }
  }, 90_000);
});
