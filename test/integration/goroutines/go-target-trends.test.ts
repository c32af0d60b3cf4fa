import { randomBytes } from "node:crypto";
import type pg from "pg";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluateCondition } from "../../../server/alerting/conditions";
import { emptyDataSources } from "../../../server/alerting/data-sources";
import { defaultRules } from "../../../server/alerting/default-rules";
import { leakTrendSource } from "../../../server/alerting/sources";
import { PgSampleSource } from "../../../server/query/pg-sample-source";
import { rangeQuerySchema, runRangeQuery } from "../../../server/query/range-query";
import { Recorder } from "../../../server/recorder/recorder";
import { TargetsService } from "../../../server/scrape/targets-service";
import { SecretBox } from "../../../server/secrets";
import { disconnectAll, prismaClient } from "../../../server/store/prisma";
import { createTimeseriesPool } from "../../../server/store/timeseries-pool";
import { sleep } from "../../leak-corpus/harness";
import { createTestDatabase, type TestDatabase } from "../../support/db";
import { ensureGoPrograms, startGoOperator } from "../../support/go-programs";

/**
 * A Go target's go_goroutines and process_open_fds judged like a Node controller's
 * resources: the real controller-runtime operator is scraped (TargetsService → Recorder →
 * Postgres), and the built-in LeakGrowth rule, over the recorded series, fires for the
 * target's goroutines while it leaks one per reconcile and stops firing when the leak
 * stops. Scraped every second here (the product's default is 5 s); the trend windows are
 * multiples of the scrape interval, so the logic is the same.
 */
const silent = pino({ level: "silent" });
let db: TestDatabase;
let pool: pg.Pool;
let operator: Awaited<ReturnType<typeof startGoOperator>>;
let targets: TargetsService;
let recorder: Recorder;

beforeAll(async () => {
  await ensureGoPrograms();
  db = await createTestDatabase();
  pool = createTimeseriesPool(db.url, { applicationName: "loopscope-test-go-trends", max: 3 });
  operator = await startGoOperator({ reconcileEveryMs: 100 });
  recorder = new Recorder({ pool, log: silent });
  targets = new TargetsService({
    prisma: prismaClient(db.url),
    secrets: new SecretBox(randomBytes(32)),
    log: silent,
    record: (source, families, ts) => recorder.recordScrape(source, families, ts),
    endSource: (source) => recorder.endSource(source),
  });
}, 900_000);

afterAll(async () => {
  await targets?.stop();
  await operator?.stop();
  await disconnectAll();
  await pool?.end();
  await db?.drop();
});

describe("Go targets' goroutines and descriptors, alerted like a controller's resources", () => {
  it("LeakGrowth fires for the leaking operator's goroutines, not its descriptors, and clears when the leak stops", async () => {
    await targets.create({ name: "go-operator", url: operator.metricsUrl, pprofUrl: operator.pprofUrl, intervalMs: 1_000 });
    expect((await targets.pprofTargets()).map((t) => t.series)).toEqual([{ job: "go-operator", instance: new URL(operator.metricsUrl).host }]);
    await targets.start();
    const source = new PgSampleSource(pool);
    const trends = leakTrendSource((q) => runRangeQuery(source, rangeQuerySchema.parse(q)));
    const rule = defaultRules(["go-operator"]).find((r) => r.name === "LeakGrowth")!;
    const firing = async () => {
      await recorder.flush();
      const at = Date.now();
      const samples = await evaluateCondition(rule, { ...emptyDataSources, leakTrends: () => trends.leakTrends(at) }, at);
      return samples.map((s) => `${s.labels.controller}/${s.labels.type}`);
    };
    const judged = async () => (await trends.leakTrends(Date.now())).map((t) => `${t.controller}/${t.type}`).sort();

    // Not leaking: both gauges are recorded and judged (15 scrapes, more than the shortest window), neither grows.
    await sleep(15_000);
    expect(await judged()).toEqual(["go-operator/FileDescriptor", "go-operator/Goroutine"]);
    expect(await firing()).toEqual([]);

    await operator.setLeaking(true);
    let fired: string[] = [];
    const leakingSince = Date.now();
    while (fired.length === 0 && Date.now() - leakingSince < 120_000) {
      await sleep(1_000);
      fired = await firing();
    }
    const firedAfterMs = Date.now() - leakingSince;
    expect(fired).toEqual(["go-operator/Goroutine"]);

    await operator.setLeaking(false);
    const stoppedAt = Date.now();
    while (fired.length > 0 && Date.now() - stoppedAt < 120_000) {
      await sleep(1_000);
      fired = await firing();
    }
    expect(fired).toEqual([]);
    console.log(JSON.stringify({ firedAfterMs, clearedAfterMs: Date.now() - stoppedAt }));
  }, 300_000);
});
