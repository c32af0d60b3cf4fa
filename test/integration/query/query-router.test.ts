import type pg from "pg";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QueryService } from "../../../server/query/query-service";
import { Recorder } from "../../../server/recorder/recorder";
import { testServices } from "../../support/services";
import { createTimeseriesPool } from "../../../server/store/timeseries-pool";
import { createCallerFactory } from "../../../server/trpc/init";
import { queryRouter } from "../../../server/trpc/routers/query";
import { createTestDatabase, type TestDatabase } from "../../support/db";

const services = testServices();

let db: TestDatabase;
let pool: pg.Pool;
const caller = createCallerFactory(queryRouter)({ headers: new Headers(), services });
const T0 = 1_800_000_000_000;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createTimeseriesPool(db.url, { applicationName: "loopscope-test-router", max: 2 });
  const recorder = new Recorder({ pool, metricsRegistry: new Registry() });
  for (let i = 0; i < 20; i += 1) {
    recorder.recordScrape(
      "target:3",
      [
        {
          name: "controller_runtime_reconcile_total",
          type: "counter",
          help: "Total reconciliations",
          samples: ["success", "error"].map((result) => ({ name: "controller_runtime_reconcile_total", labels: { controller: "pods", result }, value: i * (result === "error" ? 1 : 5) })),
        },
      ],
      T0 + i * 5_000,
    );
  }
  expect(await recorder.flush()).toBe(true);
  services.recorder.provide(recorder);
  services.query.provide(new QueryService({ pool }));
});

afterAll(async () => {
  services.recorder.withdraw();
  services.query.withdraw();
  await pool?.end();
  await db?.drop();
});

describe("queryRouter", () => {
  it("answers range queries for charts", async () => {
    const result = await caller.range({
      metric: "controller_runtime_reconcile_total",
      matchers: [{ name: "result", op: "=~", value: "succ.*" }],
      start: T0,
      end: T0 + 95_000,
      fn: "rate",
      stepMs: 30_000,
      windowMs: 30_000,
    });
    expect(result.step).toBe(30_000);
    expect(result.series).toHaveLength(1);
    expect(result.series[0].labels).toEqual({ controller: "pods", result: "success" });
    for (const [, v] of result.series[0].points) expect(v).toBeCloseTo(1, 12);
  });

  it("lists metrics, label names and values; reports recorder status and storage", async () => {
    expect(await caller.metrics()).toEqual([{ metric: "controller_runtime_reconcile_total", type: "counter", help: "Total reconciliations", series: 2 }]);
    expect(await caller.labelNames({ metric: "controller_runtime_reconcile_total" })).toEqual(["controller", "result"]);
    expect(await caller.labelValues({ label: "result", metric: "controller_runtime_reconcile_total" })).toEqual(["error", "success"]);
    expect(await caller.recorderStatus()).toMatchObject({ degraded: false, buffered: 0, dropped: 0, written: 40 });
    expect((await caller.storage()).samplesTotalBytes).toBeGreaterThan(0);
    const targets = await pool.query("SELECT DISTINCT source, target_id FROM series");
    expect(targets.rows).toEqual([{ source: "target:3", target_id: 3 }]);
  });

  it("rejects invalid input with the offending field named", async () => {
    await expect(caller.range({ metric: "x", start: 10, end: 0 })).rejects.toThrow(/end must not be before start/);
    await expect(caller.range({ metric: "x", start: 0, end: 10, fn: "histogram_quantile" })).rejects.toThrow(/quantile/);
    await expect(caller.labelValues({ label: "bad-name" })).rejects.toThrow(/label name/);
  });
});
