import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyzeSeries } from "../../../server/anomaly/monitor";
import { AnomalyService, type FetchSeries } from "../../../server/anomaly/service";
import { normalFrom, type Point, seededRandom } from "../../../server/anomaly/synthetic";
import { detectorDefaultsFor, type SeriesQuery } from "../../../server/anomaly/watched-series";
import { testServices } from "../../support/services";
import { prismaClient } from "../../../server/store/prisma";
import { createCallerFactory } from "../../../server/trpc/init";
import { anomalyRouter } from "../../../server/trpc/routers/anomaly";
import { createTestDatabase, type TestDatabase } from "../../support/db";

const services = testServices();

const T0 = Date.UTC(2026, 0, 5);
const MIN = 60_000;
const at = (m: number) => T0 + m * MIN;

/** The recorder stand-in: points per query (identified by metric and matchers). */
class FakeRecorder {
  readonly series = new Map<string, Point[]>();
  calls = 0;
  static id(q: Pick<SeriesQuery, "metric" | "matchers">): string {
    return JSON.stringify([q.metric, q.matchers]);
  }
  fetch: FetchSeries = async (query, from, to) => {
    this.calls += 1;
    return (this.series.get(FakeRecorder.id(query)) ?? []).filter(([ts]) => ts > from && ts <= to);
  };
}

const depthQuery: SeriesQuery = {
  metric: "workqueue_depth",
  matchers: [
    { name: "job", op: "=", value: "loopscope" },
    { name: "name", op: "=", value: "pods" },
  ],
  fn: "raw",
  agg: "sum",
};
const DEPTH_KEY = 'queue_depth{controller="pods"}';

function queueDepth(): Point[] {
  const normal = normalFrom(seededRandom(41));
  const out: Point[] = [];
  for (let ts = at(0); ts < at(180); ts += 5_000) {
    const burst = ts >= at(90) && ts < at(95);
    out.push([ts, Math.max(0, Math.round((burst ? 60 : 5) + 1.5 * normal()))]);
  }
  return out;
}

let db: TestDatabase;
const recorder = new FakeRecorder();
const points = queueDepth();
recorder.series.set(FakeRecorder.id(depthQuery), points);

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  services.anomaly.withdraw();
  await prismaClient(db.url).$disconnect();
  await db.drop();
});

function serviceAt(now: { t: number }, persistEveryMs = 60_000) {
  return new AnomalyService({ databaseUrl: db.url, fetchSeries: recorder.fetch, controllers: () => ["pods"], now: () => now.t, persistEveryMs });
}

describe("AnomalyService against Postgres", () => {
  const clock = { t: at(60) };

  it("creates the default watched series once and keeps user changes", async () => {
    const service = serviceAt(clock);
    expect(await service.ensureDefaults()).toBe(17);
    await service.setSensitivity(DEPTH_KEY, "high");
    const again = serviceAt(clock);
    expect(await again.ensureDefaults()).toBe(0);
    const watched = await again.watched();
    expect(watched).toHaveLength(17);
    expect(watched.find((w) => w.key === DEPTH_KEY)).toMatchObject({ sensitivity: "high", direction: "above", builtin: true, controller: "pods", lastTs: null });
    await again.setSensitivity(DEPTH_KEY, "medium");
  });

  it("brings built-in series to the current definitions: a changed one learns afresh, a retired one goes", async () => {
    const prisma = prismaClient(db.url);
    const ADDS_KEY = 'adds_rate{controller="pods"}';
    const oldAdds = { metric: "workqueue_adds_total", matchers: depthQuery.matchers, fn: "rate", agg: "sum" };
    await prisma.watchedSeries.update({ where: { key: ADDS_KEY }, data: { title: "Adds per second — pods", query: oldAdds, lastTs: new Date(at(50)), sensitivity: "low" } });
    await prisma.watchedSeries.create({
      data: { key: 'error_rate{controller="pods"}', title: "Reconcile errors per second — pods", query: oldAdds, controller: "pods", builtin: true, state: { direction: "above", monitor: null } },
    });
    await prisma.anomalyWindow.create({
      data: { seriesKey: 'error_rate{controller="pods"}', controller: "pods", detector: "d", params: {}, startAt: new Date(at(40)), peakScore: 0.7, direction: "above" },
    });
    await prisma.watchedSeries.create({
      data: { key: "mine", title: "Mine", query: oldAdds, controller: "pods", builtin: false, state: { direction: "both", monitor: null } },
    });
    const service = serviceAt(clock);
    expect(await service.ensureDefaults()).toBe(0);
    const watched = await service.watched();
    expect(watched.map((w) => w.key)).not.toContain('error_rate{controller="pods"}');
    expect(watched.map((w) => w.key)).toContain("mine");
    // Its open window is closed (nothing would ever close it otherwise), and kept as history.
    expect(await prisma.anomalyWindow.findMany({ where: { seriesKey: 'error_rate{controller="pods"}' }, select: { endAt: true } })).toEqual([{ endAt: new Date(clock.t) }]);
    const adds = watched.find((w) => w.key === ADDS_KEY);
    expect(adds?.query.less?.metric).toBe("loopscope_reconcile_reasons_total");
    expect(adds).toMatchObject({ title: "Adds per second (resyncs left out) — pods", sensitivity: "low", lastTs: null });
    await service.setSensitivity(ADDS_KEY, "medium");
    await service.removeWatched("mine");
    await prisma.anomalyWindow.deleteMany({ where: { seriesKey: 'error_rate{controller="pods"}' } });
  });

  it("opens a window during a burst, persists it, and a new instance resumes and closes the same window", async () => {
    // First instance: learns the first hour, then steps through the burst; it persists
    // state only when windows change, so the restart below replays the points since.
    const first = serviceAt(clock, 3_600_000);
    const report = await first.evaluate();
    expect(report).toMatchObject({ series: 17, failures: 0, points: 720 });
    for (const m of [70, 80, 90, 91, 92, 93]) {
      clock.t = at(m);
      await first.evaluate();
    }
    const open = await first.openWindows();
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ seriesKey: DEPTH_KEY, controller: "pods", start: at(90), end: null, direction: "above", detector: "robust-seasonal-surprise-v3" });
    expect(open[0].peakScore).toBeGreaterThan(0.9);
    // Opened by the pass at 91 min (the third high point came at 90:10), and stored as such.
    expect(open[0].detectedAt).toBe(at(91));
    expect(open[0].params).toMatchObject({ sensitivity: "medium", direction: "above" });
    clock.t = at(93.5);
    await first.evaluate(); // advances in memory only (no window change, persisted recently)

    // "Restart": a fresh instance on the same database, no flush of the first.
    clock.t = at(180);
    const second = serviceAt(clock);
    await second.evaluate();
    const all = await second.windows({ from: at(0), to: at(180) });
    expect(all).toHaveLength(1);
    expect(all[0].id).toBe(open[0].id);
    expect(all[0].end).not.toBeNull();
    expect(all[0].detectedAt).toBe(at(91)); // closing keeps when it was detected
    expect(all[0].end!).toBeGreaterThanOrEqual(at(94.5));
    expect(all[0].end!).toBeLessThanOrEqual(at(95));
    expect(await second.openWindows()).toEqual([]);

    // Identical to one uninterrupted pass over the same points.
    const defaults = detectorDefaultsFor(depthQuery);
    const offline = analyzeSeries(points, { direction: defaults.direction }, { params: defaults.params, seriesKey: DEPTH_KEY }).windows;
    expect(offline.map((w) => [w.start, w.end, w.peakScore, w.direction])).toEqual(all.map((w) => [w.start, w.end, w.peakScore, w.direction]));

    const row = await prismaClient(db.url).watchedSeries.findUniqueOrThrow({ where: { key: DEPTH_KEY } });
    expect(row.lastTs?.getTime()).toBe(points[points.length - 1][0]);
    await second.stop();
  });

  it("answers window queries by series and range, and bands by replaying history", async () => {
    const service = serviceAt(clock);
    expect(await service.windows({ seriesKey: DEPTH_KEY, from: at(100), to: at(120) })).toEqual([]);
    expect(await service.windows({ seriesKey: "other", from: at(0), to: at(180) })).toEqual([]);
    expect(await service.windows({ seriesKey: DEPTH_KEY, from: at(94), to: at(94) })).toHaveLength(1);

    const band = await service.band(DEPTH_KEY, at(120), at(150));
    expect(band).toHaveLength(361); // [from, to] inclusive at 5 s
    expect(band[0].ts).toBe(at(120));
    for (const p of band) {
      expect(p.lower).not.toBeNull();
      expect(p.lower!).toBeLessThan(p.upper!);
    }
    const inBurst = await service.band(DEPTH_KEY, at(91), at(92));
    expect(inBurst.every((p) => p.value > p.upper!)).toBe(true);
  });

  it("lets users add, change and remove their own series, but not remove built-in ones", async () => {
    const service = serviceAt(clock);
    const custom: SeriesQuery = { metric: "my_app_requests_total", matchers: [{ name: "job", op: "=", value: "api" }], fn: "rate", agg: "sum" };
    const added = await service.upsertWatched({ key: "api_requests", title: "API requests/s", query: custom, sensitivity: "low" });
    expect(added).toMatchObject({ builtin: false, sensitivity: "low", direction: "both", lastTs: null });
    const changed = await service.upsertWatched({ key: "api_requests", title: "API req/s", query: custom, direction: "above" });
    expect(changed).toMatchObject({ title: "API req/s", sensitivity: "low", direction: "above" });
    await expect(service.removeWatched(DEPTH_KEY)).rejects.toThrow(/built-in series; disable it/);
    await service.removeWatched("api_requests");
    expect((await service.watched()).some((w) => w.key === "api_requests")).toBe(false);
    await expect(service.setSensitivity("nope", "low")).rejects.toThrow(/No watched series with key "nope"/);
  });

  it("serves the tRPC router from the registered service, validating input", async () => {
    const service = serviceAt(clock);
    services.anomaly.provide(service);
    const caller = createCallerFactory(anomalyRouter)({ headers: new Headers(), services });
    expect((await caller.watched()).length).toBe(17);
    expect(await caller.windows({ from: at(0), to: at(180), seriesKey: DEPTH_KEY })).toHaveLength(1);
    expect(await caller.openWindows()).toEqual([]);
    await expect(caller.windows({ from: at(10), to: at(5) })).rejects.toThrow(/from must not be after to/);
    await expect(caller.setSensitivity({ key: DEPTH_KEY, sensitivity: "extreme" as "low" })).rejects.toThrow();
    await expect(caller.setSensitivity({ key: "missing", sensitivity: "low" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(caller.band({ seriesKey: DEPTH_KEY, from: 0, to: 30 * 86_400_000 })).rejects.toThrow(/at most 7 days/);
    const updated = await caller.setSensitivity({ key: DEPTH_KEY, sensitivity: "low" });
    expect(updated.sensitivity).toBe("low");
  });
});
