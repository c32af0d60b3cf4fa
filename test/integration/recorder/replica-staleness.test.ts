import type pg from "pg";
import pino from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PgSampleSource } from "../../../server/query/pg-sample-source";
import { rangeQuerySchema, runRangeQuery } from "../../../server/query/range-query";
import { Recorder } from "../../../server/recorder/recorder";
import { setSelfLabels } from "../../../server/recorder/registry-collector";
import { Controller } from "../../../server/runtime/controller/controller";
import { RuntimeMetrics } from "../../../server/runtime/metrics/runtime-metrics";
import { createTimeseriesPool } from "../../../server/store/timeseries-pool";
import { createTestDatabase, type TestDatabase } from "../../support/db";

/**
 * Two replicas record into one database. When the leader steps down its controller
 * stops, its metrics are forgotten and the recorder's next collection ends them with
 * staleness markers; when a replica stops, all its series end. A sum across replicas
 * then counts only the live ones at once (without markers: for 5 minutes).
 */

const silent = pino({ level: "silent" });
let db: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createTimeseriesPool(db.url, { applicationName: "loopscope-test-replica-staleness", max: 3 });
});

afterAll(async () => {
  setSelfLabels({});
  await pool.end();
  await db.drop();
});

function replica(name: string) {
  const registry = new Registry();
  const controller = new Controller({ name: "pods", reconcile: () => ({ kind: "done" }), registry });
  RuntimeMetrics.of(registry).controller("pods").activeWorkers = 4;
  const recorder = new Recorder({ pool, registry, log: silent });
  // One process plays both replicas: each collection carries its own replica label.
  const collect = async (ts: number) => {
    setSelfLabels({ job: "loopscope", instance: `${name}:3000`, replica: name });
    await recorder.collect(ts);
    await recorder.flush();
  };
  return { controller, recorder, collect };
}

describe("staleness across replicas", () => {
  it("sum(controller_runtime_active_workers) stops counting a replica that stepped down, then one that stopped", async () => {
    const source = new PgSampleSource(pool);
    const activeWorkers = async (t: number) =>
      (await runRangeQuery(source, rangeQuerySchema.parse({ metric: "controller_runtime_active_workers", fn: "raw", aggregate: { op: "sum" }, start: t, end: t }))).series[0]?.points[0]?.[1];
    const leader = replica("a");
    const follower = replica("b");
    const t0 = Date.now() - 60_000;
    await leader.collect(t0);
    await follower.collect(t0);
    expect(await activeWorkers(t0 + 1_000)).toBe(8);

    // The leader steps down: its controller stops (RuntimeMetrics.forget), its next collection ends the series.
    await leader.controller.stop();
    await leader.collect(t0 + 5_000);
    expect(await activeWorkers(t0 + 5_000)).toBe(4);
    expect(await activeWorkers(t0 + 30_000)).toBe(4);

    // The other replica stops (SIGTERM): every series it recorded ends.
    const stoppedAt = Date.now();
    await follower.recorder.stop();
    expect(await activeWorkers(stoppedAt + 1)).toBeUndefined();
    await leader.recorder.stop();
    await follower.controller.stop();
  });

  it("a replica that takes over the lease of one killed with SIGKILL ends that replica's series at the takeover", async () => {
    const source = new PgSampleSource(pool);
    const at = (t: number) => rangeQuerySchema.parse({ metric: "controller_runtime_active_workers", fn: "raw", aggregate: { op: "sum" }, start: t, end: t });
    const activeWorkers = async (t: number) => (await runRangeQuery(source, at(t))).series[0]?.points[0]?.[1];
    const dead = replica("killed-1");
    const survivor = replica("survivor-1");
    const t0 = Date.now() - 120_000;
    // An old series of the dead replica, outside the lookback before the takeover: not marked again.
    setSelfLabels({ job: "loopscope", instance: "killed-1:3000", replica: "killed-1" });
    const old = new Registry();
    RuntimeMetrics.of(old).controller("gone").activeWorkers = 1;
    const oldRecorder = new Recorder({ pool, registry: old, log: silent });
    await oldRecorder.collect(t0 - 10 * 60_000);
    await oldRecorder.flush();
    await dead.collect(t0);
    await survivor.collect(t0);
    expect(await activeWorkers(t0 + 1_000)).toBe(8);

    // killed-1 gets SIGKILL: no marker. Its lease expires; survivor-1 takes over at t1.
    const t1 = t0 + 15_000;
    expect(await activeWorkers(t1 + 1_000)).toBe(8); // without the takeover markers: counted for 5 minutes
    expect(await survivor.recorder.endReplica("killed-1", "survivor-1", t1)).toBeGreaterThan(0);
    expect(await activeWorkers(t1 - 1)).toBe(8);
    expect(await activeWorkers(t1 + 1_000)).toBe(4);
    expect(await activeWorkers(t1 + 4 * 60_000)).toBe(4);
    // Only killed-1's in-process series, only recent ones, all at the takeover time.
    const marked = await pool.query<{ replica: string; ts: Date }>(
      `SELECT s.labels->>'replica' AS replica, m.ts FROM stale_markers m JOIN series s ON s.id = m.series_id WHERE s.labels->>'replica' IN ('killed-1', 'survivor-1')`,
    );
    expect(new Set(marked.rows.map((r) => r.replica))).toEqual(new Set(["killed-1"]));
    expect(new Set(marked.rows.map((r) => r.ts.getTime()))).toEqual(new Set([t1]));
    const oldMarked = await pool.query(
      `SELECT 1 FROM stale_markers m JOIN series s ON s.id = m.series_id WHERE s.labels->>'controller' = 'gone'`,
    );
    expect(oldMarked.rowCount).toBe(0);
    // Not a takeover: nothing to mark.
    expect(await survivor.recorder.endReplica("", "survivor-1", t1)).toBe(0);
    expect(await survivor.recorder.endReplica("survivor-1", "survivor-1", t1)).toBe(0);

    await Promise.all([dead.controller.stop(), survivor.controller.stop()]);
    await Promise.all([oldRecorder.stop(), dead.recorder.stop(), survivor.recorder.stop()]);
  });
});
