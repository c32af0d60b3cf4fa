import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emptyDataSources } from "../../../server/alerting/data-sources";
import { previewRule } from "../../../server/alerting/preview";
import { parseRule } from "../../../server/alerting/rule-schema";
import { recorderSources } from "../../../server/alerting/sources";
import { QueryService } from "../../../server/query/query-service";
import { rangeQuerySchema } from "../../../server/query/range-query";
import { describeSeries } from "../../../server/recorder/sample";
import { SampleWriter } from "../../../server/store/sample-writer";
import { SeriesStore } from "../../../server/store/series-store";
import { createTimeseriesPool, QUERY_SESSION_SETTINGS } from "../../../server/store/timeseries-pool";
import { createTestDatabase, type TestDatabase } from "../../support/db";

/**
 * Issue 16: the 24 h preview said "would not have fired" beside a visible spike. Here the spike is
 * recorded in PostgreSQL and the preview reads it through the query service, as the app does.
 */
const S = 1_000;
const DAY = 86_400_000;
const TO = 1_800_000_000_000;
const FROM = TO - DAY;
// Every 10 s: 4, and 42 for 2.5 minutes that start 20 s after a 5-minute mark.
const SPIKE = FROM + 7 * 3_600_000 + 20 * S;
const depthAt = (t: number) => (t >= SPIKE && t < SPIKE + 150 * S ? 42 : 4);

let db: TestDatabase;
let pool: pg.Pool;
let queryPool: pg.Pool;
let query: QueryService;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createTimeseriesPool(db.url, { applicationName: "loopscope-test-preview", max: 2 });
  queryPool = createTimeseriesPool(db.url, { applicationName: "loopscope-test-preview-q", max: 3, settings: QUERY_SESSION_SETTINGS });
  const labels = { controller: "pods", name: "pods" };
  const descriptor = describeSeries("self", { metric: "workqueue_depth", labels, type: "gauge", help: "" });
  const id = (await new SeriesStore(pool).resolve([descriptor])).get(descriptor.hash)!;
  const ts: number[] = [];
  for (let t = FROM - 600 * S; t <= TO; t += 10 * S) ts.push(t);
  await new SampleWriter(pool).write({ seriesIds: ts.map(() => id), ts, values: ts.map(depthAt), length: ts.length });
  query = new QueryService({ pool: queryPool });
});

afterAll(async () => {
  await queryPool?.end();
  await pool?.end();
  await db?.drop();
});

describe("the 24 h rule preview over recorded samples (PostgreSQL)", () => {
  it("a spike above the threshold for longer than `for` fires, at the rule's interval", async () => {
    const sources = { ...emptyDataSources, ...recorderSources((q) => query.range(rangeQuerySchema.parse(q))) };
    const rule = parseRule({ name: "Deep", kind: "threshold", spec: { query: { metric: "workqueue_depth" }, comparator: ">", value: 40 }, for: "1m", interval: "30s" });
    const preview = await previewRule(rule, sources, { from: FROM, to: TO });
    // Evaluations at FROM + k·30 s: the first to see 42 is 10 s into the spike, it fires a minute
    // later, and the first evaluation after the spike (20 s after its end) resolves it.
    expect(preview.spans).toEqual([
      { fingerprint: expect.any(String), labels: { alertname: "Deep", controller: "pods", name: "pods" }, start: SPIKE + 70 * S, end: SPIKE + 160 * S, peakValue: 42 },
    ]);
    expect(preview.errors).toEqual([]);
    expect(preview.stepMs).toBe(30 * S);
    expect(preview.evaluations).toBe(2_881);
  });
});
