import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Principal } from "../../../server/auth/principal";
import { QueryAdmission, QueryAdmissionError } from "../../../server/query/query-admission";
import { QueryService } from "../../../server/query/query-service";
import { describeSeries } from "../../../server/recorder/sample";
import { SampleWriter } from "../../../server/store/sample-writer";
import { SeriesStore } from "../../../server/store/series-store";
import { createTimeseriesPool, QUERY_SESSION_SETTINGS } from "../../../server/store/timeseries-pool";
import { createCallerFactory } from "../../../server/trpc/init";
import { queryRouter } from "../../../server/trpc/routers/query";
import { createTestDatabase, type TestDatabase } from "../../support/db";
import { testServices } from "../../support/services";

/**
 * Admission control of expensive queries against real Postgres through the tRPC router: a flood of
 * expensive queries is queued up to a bound and refused beyond it (429), per client too, while a cheap
 * query is answered at once. The expensive place is held by the test, so nothing depends on timing.
 */

const DAY = 86_400_000;
const END = 1_800_000_000_000;
const services = testServices();
let db: TestDatabase;
let pool: pg.Pool;
let queryPool: pg.Pool;
let service: QueryService;

const viewer = (name: string): Principal => ({ name, role: "viewer", via: "token" });
const callerFor = (name: string) => createCallerFactory(queryRouter)({ headers: new Headers(), services, principal: viewer(name) });

// 20 series × (7 d + 7 d window) / 1 min ≈ 400,000 bucket reads: expensive; 1 h of 1 000 points: cheap.
const expensive = { metric: "admission_total", fn: "rate" as const, start: END - 7 * DAY, end: END, stepMs: 60_000, windowMs: 7 * DAY, maxPoints: 11_000 };
const cheap = { metric: "admission_total", fn: "rate" as const, start: END - 3_600_000, end: END, maxPoints: 100 };

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createTimeseriesPool(db.url, { applicationName: "loopscope-test-admission-w", max: 2 });
  queryPool = createTimeseriesPool(db.url, { applicationName: "loopscope-test-admission", max: 4, settings: QUERY_SESSION_SETTINGS });
  const descriptors = Array.from({ length: 20 }, (_, k) => describeSeries("target:1", { metric: "admission_total", labels: { k: String(k) }, type: "counter", help: "" }));
  const ids = await new SeriesStore(pool).resolve(descriptors);
  const batch = { seriesIds: [] as number[], ts: [] as number[], values: [] as number[], length: 0 };
  for (const d of descriptors) {
    for (let t = END - 2 * 3_600_000; t <= END; t += 15_000) {
      batch.seriesIds.push(ids.get(d.hash)!);
      batch.ts.push(t);
      batch.values.push((t - END) / 1000 + 1e6);
    }
  }
  batch.length = batch.seriesIds.length;
  await new SampleWriter(pool).write(batch);
  service = new QueryService({ pool: queryPool, admission: { expensiveCost: 100_000, maxRunning: 1, maxQueued: 2, perClient: 1 } });
  services.query.provide(service);
}, 120_000);

afterAll(async () => {
  services.query.withdraw();
  await queryPool?.end();
  await pool?.end();
  await db?.drop();
});

async function refusal(promise: Promise<unknown>): Promise<TRPCError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

describe("expensive-query admission", () => {
  it("queues expensive queries up to the bound, refuses the rest with 429, and answers a cheap query meanwhile", async () => {
    // Another client's expensive query holds the one running place.
    const hold = await service.admission.admit(Number.POSITIVE_INFINITY, "holder");
    const settled: string[] = [];
    const queuedA = callerFor("a").range(expensive).then((r) => {
      settled.push("a");
      return r;
    });
    await vi.waitFor(() => expect(service.admission.state.queued).toBe(1), { timeout: 30_000 });
    const queuedB = callerFor("b").range(expensive).then((r) => {
      settled.push("b");
      return r;
    });
    await vi.waitFor(() => expect(service.admission.state.queued).toBe(2), { timeout: 30_000 });
    // The queue is full: a third client is refused at once, and so is a second query of client a.
    const [fromC, secondOfA] = await Promise.all([refusal(callerFor("c").range(expensive)), refusal(callerFor("a").range(expensive))]);
    for (const error of [fromC, secondOfA]) {
      expect(error.code).toBe("TOO_MANY_REQUESTS");
      expect(getHTTPStatusCodeFromError(error)).toBe(429);
    }
    expect(fromC.message).toMatch(/server busy with expensive queries \(1 running, 2 queued\)/);
    expect(secondOfA.message).toMatch(/a already has 1 running or queued \(limit 1\)/);

    // A cheap query is not queued behind them: answered while the place is still held.
    const answer = await callerFor("c").range(cheap);
    expect(answer.series).toHaveLength(20);
    expect(settled).toEqual([]);
    expect(service.admission.state).toEqual({ running: 1, queued: 2 });

    // Releasing the place lets the queued ones run, in order, one at a time.
    hold();
    const [a, b] = await Promise.all([queuedA, queuedB]);
    expect(settled).toEqual(["a", "b"]);
    expect(a.series.length).toBeGreaterThan(0);
    expect(b.series.length).toBeGreaterThan(0);
    expect(service.admission.state).toEqual({ running: 0, queued: 0 });
  });

  it("takes a queued query whose client went away out of the queue", async () => {
    const admission = new QueryAdmission({ expensiveCost: 10, maxRunning: 1, maxQueued: 1, perClient: 1 });
    const hold = await admission.admit(10, "holder");
    const leaving = new AbortController();
    const queued = admission.admit(10, "a", leaving.signal);
    await expect(admission.admit(10, "b")).rejects.toBeInstanceOf(QueryAdmissionError);
    leaving.abort(new Error("client went away"));
    await expect(queued).rejects.toThrow("client went away");
    expect(admission.state).toEqual({ running: 1, queued: 0 });
    // Its place in the queue is free again, and client a may ask again.
    const next = admission.admit(10, "a");
    hold();
    (await next)();
    expect(admission.state).toEqual({ running: 0, queued: 0 });
    // Cheap queries never count.
    const free = await admission.admit(9, "a");
    expect(admission.state).toEqual({ running: 0, queued: 0 });
    free();
  });
});
