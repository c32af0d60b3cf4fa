import { describe, expect, it } from "vitest";
import { type AnomalyWindow, DEFAULT_WINDOW_RULES, type WindowEvent, WindowTracker, type WindowRules } from "../../../server/anomaly/windows";

const RULES: WindowRules = { ...DEFAULT_WINDOW_RULES, openScore: 0.5, stayScore: 0.35 };
const S = 5_000;

/** Feeds scores at 5 s spacing from t = 0 and returns every event. */
function feed(tracker: WindowTracker, scores: number[], from = 0, direction: "above" | "below" = "above"): WindowEvent[] {
  return scores.flatMap((score, i) => tracker.step(from + i * S, score, direction, RULES, () => ({ sensitivity: "medium" })));
}

function last(events: WindowEvent[]): AnomalyWindow {
  return events[events.length - 1].window;
}

describe("WindowTracker", () => {
  it("needs minPoints high scores in a row before it opens, dated from the first", () => {
    const t = new WindowTracker("s", "d");
    expect(feed(t, [0.7, 0.7, 0.1, 0.7, 0.7, 0.1])).toEqual([]);
    const events = feed(t, [0.7, 0.7, 0.7], 100 * S);
    expect(events.map((e) => e.kind)).toEqual(["opened"]);
    expect(last(events)).toMatchObject({ seq: 1, seriesKey: "s", detector: "d", start: 100 * S, end: null, detectedAt: 102 * S, peakScore: 0.7 });
    expect(last(events).params).toEqual({ sensitivity: "medium" });
  });

  it("opens on fewer points when their evidence adds up to that of minPoints at the open score", () => {
    const t = new WindowTracker("s", "d");
    // Two points as improbable together as three at the open score (scores add as −log10 P / 10).
    const events = feed(t, [0.1, 0.9, 0.8]);
    expect(events.map((e) => e.kind)).toEqual(["opened"]);
    expect(last(events)).toMatchObject({ start: S, detectedAt: 2 * S, peakScore: 0.9 });
    // One strong point does not: a lone spike is never a window.
    expect(feed(new WindowTracker("s", "d"), [1, 0.1, 1, 0.1, 1, 0.1])).toEqual([]);
    // Two that fall short still wait for the third.
    const waiting = new WindowTracker("s", "d");
    expect(feed(waiting, [0.7, 0.7])).toEqual([]);
    expect(feed(waiting, [0.7], 2 * S).map((e) => e.kind)).toEqual(["opened"]);
    // Nor does it shorten minDurationMs below its share per point.
    const fast = new WindowTracker("s", "d");
    expect(fast.step(0, 1, "above", RULES, () => ({}))).toEqual([]);
    expect(fast.step(1_000, 1, "above", RULES, () => ({}))).toEqual([]);
    expect(fast.step(S, 1, "above", RULES, () => ({})).map((e) => e.kind)).toEqual(["opened"]);
  });

  it("does not open on one high point followed by merely elevated ones", () => {
    const t = new WindowTracker("s", "d");
    expect(feed(t, [0.9, 0.4, 0.4, 0.4, 0.4])).toEqual([]);
  });

  it("keeps an open window through scores above stayScore, tracks the peak and closes after the cool-down at the last high point", () => {
    const t = new WindowTracker("s", "d");
    const events = feed(t, [0.6, 0.6, 0.6, 0.4, 0.97, 0.4, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]);
    expect(events.map((e) => e.kind)).toEqual(["opened", "peak", "closed"]);
    const closed = last(events);
    expect(closed).toMatchObject({ start: 0, end: 5 * S, peakScore: 0.97 });
    // closed once 60 s had passed since the last high point
    const closedAt = events.findIndex((e) => e.kind === "closed");
    expect(closedAt).toBeGreaterThan(0);
  });

  it("merges a window that starts soon after the previous one ended", () => {
    const t = new WindowTracker("s", "d");
    const quiet = Array(14).fill(0.1);
    const first = feed(t, [0.9, 0.9, 0.9, ...quiet]);
    expect(first.map((e) => e.kind)).toEqual(["opened", "closed"]);
    const second = feed(t, [0.8, 0.8, 0.8], 20 * S); // starts 90 s after the end, within 120 s
    expect(second.map((e) => e.kind)).toEqual(["reopened"]);
    expect(last(second)).toMatchObject({ seq: 1, start: 0, end: null, peakScore: 0.9 });
    const third = feed(t, [...quiet, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.9, 0.9, 0.9], 23 * S);
    expect(third.map((e) => e.kind)).toEqual(["closed", "opened"]);
    expect(last(third).seq).toBe(2);
  });

  it("records the direction of the peak and closes an open window when the data is interrupted", () => {
    const t = new WindowTracker("s", "d");
    feed(t, [0.6, 0.6, 0.6]);
    const peak = t.step(3 * S, 0.95, "below", RULES, () => ({}));
    expect(peak[0].window.direction).toBe("below");
    const interrupted = t.interrupt();
    expect(interrupted.map((e) => e.kind)).toEqual(["closed"]);
    expect(interrupted[0].window.end).toBe(3 * S);
    expect(t.openWindow).toBeNull();
  });

  it("continues identically from its JSON state", () => {
    const scores = Array.from({ length: 300 }, (_, i) => (Math.sin(i / 7) > 0.6 ? 0.9 : 0.1));
    const whole = new WindowTracker("s", "d");
    const wholeEvents = feed(whole, scores);
    const a = new WindowTracker("s", "d");
    const aEvents = feed(a, scores.slice(0, 137));
    const b = new WindowTracker("s", "d", JSON.parse(JSON.stringify(a.toState())));
    const bEvents = feed(b, scores.slice(137), 137 * S);
    expect([...aEvents, ...bEvents]).toEqual(wholeEvents);
    expect(wholeEvents.length).toBeGreaterThan(4);
  });
});
