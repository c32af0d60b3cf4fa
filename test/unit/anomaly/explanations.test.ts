import { describe, expect, it } from "vitest";
import { EXPLANATION_TOLERANCE_MS, explainingCause, explainWindows, type WindowSpan } from "../../../server/anomaly/explanations";
import { defaultWatchedSeries, EVENT_LOOP_LAG_KEY, explainableByOwnEventLoopLag, type WatchedController } from "../../../server/anomaly/watched-series";

const S = 1_000;
const lag = (start: number, end: number | null, detectedAt = start + 15 * S): WindowSpan => ({ seriesKey: EVENT_LOOP_LAG_KEY, start, end, detectedAt, direction: "above" });
const win = (seriesKey: string, start: number, end: number | null, detectedAt = start + 20 * S): WindowSpan => ({ seriesKey, start, end, detectedAt, direction: "above" });
const MEAN = 'reconcile_time_mean{controller="pods"}';

describe("explainingCause", () => {
  it("explains a departure that began during the lag window, or within the tolerance of it", () => {
    expect(explainingCause(win(MEAN, 110 * S, 200 * S), [lag(100 * S, 150 * S)])).not.toBeNull();
    expect(explainingCause(win(MEAN, 100 * S - EXPLANATION_TOLERANCE_MS, 200 * S), [lag(100 * S, 150 * S)])).not.toBeNull();
    expect(explainingCause(win(MEAN, 150 * S + EXPLANATION_TOLERANCE_MS, 300 * S), [lag(100 * S, 150 * S)])).not.toBeNull();
    // an open lag window explains whatever begins while it lasts
    expect(explainingCause(win(MEAN, 500 * S, null), [lag(100 * S, null)])).not.toBeNull();
  });

  it("leaves a departure that began well apart from the lag its own incident", () => {
    expect(explainingCause(win(MEAN, 100 * S - EXPLANATION_TOLERANCE_MS - S, 200 * S), [lag(100 * S, 150 * S)])).toBeNull();
    expect(explainingCause(win(MEAN, 150 * S + EXPLANATION_TOLERANCE_MS + S, 300 * S), [lag(100 * S, 150 * S)])).toBeNull();
    expect(explainingCause(win(MEAN, 110 * S, 200 * S), [])).toBeNull();
  });

  it("needs the lag confirmed while the window was open, and both to be upward departures", () => {
    expect(explainingCause(win(MEAN, 110 * S, 130 * S), [lag(100 * S, 150 * S, 140 * S)])).toBeNull();
    expect(explainingCause({ ...win(MEAN, 110 * S, 200 * S), direction: "below" }, [lag(100 * S, 150 * S)])).toBeNull();
    expect(explainingCause(win(MEAN, 110 * S, 200 * S), [{ ...lag(100 * S, 150 * S), direction: "below" }])).toBeNull();
  });
});

describe("explainWindows", () => {
  it("marks only the explainable series, never the cause's own window", () => {
    const windows = [lag(100 * S, 150 * S), win(MEAN, 110 * S, 200 * S), win('queue_depth{controller="pods"}', 110 * S, 200 * S), win(MEAN, 600 * S, 700 * S)];
    const marked = explainWindows(windows, EVENT_LOOP_LAG_KEY, (key) => key === MEAN);
    expect(marked.map((w) => w.explainedBy)).toEqual([null, EVENT_LOOP_LAG_KEY, null, null]);
  });
});

describe("explainableByOwnEventLoopLag", () => {
  const byKey = (controllers: Parameters<typeof defaultWatchedSeries>[0]) => new Map(defaultWatchedSeries(controllers).map((s) => [s.key, s.query]));

  it("takes the durations of Loopscope's own controllers, which run on its event loop", () => {
    const own = byKey(["pods"]);
    const explainable = [...own].filter(([, q]) => explainableByOwnEventLoopLag(q)).map(([k]) => k).sort();
    expect(explainable).toEqual(
      ['queue_latency_p99{controller="pods"}', 'reconcile_time_p50{controller="pods"}', 'slow_reconciles{controller="pods"}', 'unfinished_work{controller="pods"}', 'work_duration_p99{controller="pods"}'].sort(),
    );
  });

  it("never takes a controller measured elsewhere (the Prometheus data source)", () => {
    const scraped: WatchedController = {
      name: "operator",
      source: "prometheus",
      queueMatchers: [{ name: "name", op: "=", value: "operator" }],
      controllerMatchers: [{ name: "controller", op: "=", value: "operator" }],
    };
    expect([...byKey([scraped]).values()].some((q) => explainableByOwnEventLoopLag(q))).toBe(false);
    // nor the same metric of another job in Loopscope's store
    expect(explainableByOwnEventLoopLag({ metric: "controller_runtime_reconcile_time_seconds", matchers: [{ name: "job", op: "=", value: "operator" }], fn: "mean" })).toBe(false);
  });
});
