import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anomalyWindowSource } from "../../../server/alerting/sources";
import { AnomalyService, type FetchSeries } from "../../../server/anomaly/service";
import { normalFrom, type Point, seededRandom } from "../../../server/anomaly/synthetic";
import { defaultWatchedSeries, EVENT_LOOP_LAG_KEY, type SeriesQuery } from "../../../server/anomaly/watched-series";
import { prismaClient } from "../../../server/store/prisma";
import { createTestDatabase, type TestDatabase } from "../../support/db";

const T0 = Date.UTC(2026, 0, 5);
const MIN = 60_000;
const at = (m: number) => T0 + m * MIN;

/** The recorder's answers per query (metric and matchers), as the recorder would give them. */
const recorded = new Map<string, Point[]>();
const id = (q: Pick<SeriesQuery, "metric" | "matchers" | "fn">) => JSON.stringify([q.metric, q.matchers, q.fn]);
const fetchSeries: FetchSeries = async (query, from, to) => (recorded.get(id(query)) ?? []).filter(([ts]) => ts > from && ts <= to);

/** A noisy level with departures to `high` over the given [from, to) minutes. */
function series(seed: number, level: number, noise: number, high: number, departures: Array<[number, number]>): Point[] {
  const normal = normalFrom(seededRandom(seed));
  const out: Point[] = [];
  for (let ts = at(0); ts < at(150); ts += 5_000) {
    const away = departures.some(([a, b]) => ts >= at(a) && ts < at(b));
    out.push([ts, Math.max(0, (away ? high : level) + noise * normal())]);
  }
  return out;
}

const specs = new Map(defaultWatchedSeries(["pods"]).map((s) => [s.key, s]));
const MEDIAN_KEY = 'reconcile_time_p50{controller="pods"}';
const DEPTH_KEY = 'queue_depth{controller="pods"}';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  // The process's event loop lags at minutes 90–95; the pods controller's median reconcile time
  // rises with it (its reconciles wait on that loop), and again alone at 120–125 (its own incident).
  recorded.set(id(specs.get(EVENT_LOOP_LAG_KEY)!.query), series(1, 0.011, 0.0005, 0.4, [[90, 95]]));
  recorded.set(id(specs.get(MEDIAN_KEY)!.query), series(2, 0.02, 0.001, 0.3, [[90, 95], [120, 125]]));
  // The queue depth rises with the lag too: a depth is not a duration, so it stands on its own.
  recorded.set(id(specs.get(DEPTH_KEY)!.query), series(3, 5, 1, 60, [[90, 95]]));
});
afterAll(async () => {
  await prismaClient(db.url).$disconnect();
  await db.drop();
});

describe("windows explained by the process's event-loop lag", () => {
  it("marks the own controller's duration window that began with the lag, alerts only on the rest, and leaves a later one of its own alone", async () => {
    const clock = { t: at(60) };
    const service = new AnomalyService({ databaseUrl: db.url, fetchSeries, controllers: () => ["pods"], now: () => clock.t });
    await service.ensureDefaults();
    // Evaluated every 10 s, as live.
    let explained = 0;
    for (clock.t = at(60); clock.t <= at(140); clock.t += 10_000) explained += (await service.evaluate()).explained;

    const windows = await service.windows({ from: at(0), to: at(150) });
    const onKey = (key: string) => windows.filter((w) => w.seriesKey === key);
    expect(onKey(EVENT_LOOP_LAG_KEY)).toHaveLength(1);
    expect(onKey(EVENT_LOOP_LAG_KEY)[0].explainedBy).toBeNull();
    const median = onKey(MEDIAN_KEY);
    expect(median.map((w) => [Math.round((w.start - T0) / MIN), w.explainedBy])).toEqual([
      [90, EVENT_LOOP_LAG_KEY],
      [120, null],
    ]);
    expect(explained).toBe(1);
    expect(onKey(DEPTH_KEY).map((w) => w.explainedBy)).toEqual([null]);

    // The alert engine's view: the explained window is its cause's incident, not an alert of its own.
    const source = anomalyWindowSource(prismaClient(db.url));
    const open92 = (await source.openAnomalyWindows(at(92))).map((w) => w.seriesKey).sort();
    expect(open92).toEqual([DEPTH_KEY, EVENT_LOOP_LAG_KEY].sort());
    expect((await source.openAnomalyWindows(at(122))).map((w) => w.seriesKey)).toEqual([MEDIAN_KEY]);
  }, 120_000);
});
