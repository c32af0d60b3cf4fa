import { describe, expect, it } from "vitest";
import { pointerTime } from "../../../components/charts/TimeSeriesChart";
import {
  MAX_ZOOM_HISTORY,
  parseRangeParams,
  parseZoomHistory,
  resolveRange,
  type TimeRangeSelection,
  type ZoomState,
  zoomedIn,
  zoomedOutState,
  zoomStateToParams,
} from "../../../components/controls/time-range";

const NOW = Date.UTC(2025, 0, 15, 12);
const MIN = 60_000;

/** What the URL would hold after a state change, read back as the page reads it. */
function throughUrl(state: ZoomState): ZoomState {
  const p = zoomStateToParams(state);
  return { selection: parseRangeParams(p), history: parseZoomHistory(p.zoom) };
}

describe("zoom history in the URL (issue 16: drag-to-zoom can be undone, live ranges too)", () => {
  it("zooming in on a live range remembers it; zoom out returns to the live range, not a fixed copy", () => {
    const live: ZoomState = { selection: { kind: "preset", preset: "15m" }, history: [] };
    const zoomed = throughUrl(zoomedIn(live, NOW - 7.5 * MIN + 123, NOW - 3 * MIN + 456));
    // Whole seconds within the drag: a drag to the right edge of a live range never ends after its now.
    expect(zoomedIn(live, NOW - MIN, NOW - 1).selection).toMatchObject({ to: NOW - 1_000 });
    expect(zoomed.selection).toEqual({ kind: "custom", from: NOW - 7.5 * MIN, to: NOW - 3 * MIN });
    expect(zoomed.history).toEqual([{ kind: "preset", preset: "15m" }]);
    expect(zoomStateToParams(zoomed).zoom).toBe("15m");

    const back = throughUrl(zoomedOutState(zoomed, resolveRange(zoomed.selection, NOW + 5 * MIN), NOW + 5 * MIN));
    expect(back).toEqual(live);
    // Still live: it resolves against whatever now is.
    expect(resolveRange(back.selection, NOW + 5 * MIN)).toEqual({ from: NOW - 10 * MIN, to: NOW + 5 * MIN });
    expect(zoomStateToParams(back)).toEqual({ range: "15m", from: null, to: null, zoom: null });
  });

  it("nested zooms unwind one at a time, through fixed ranges, back to where they started", () => {
    let state: ZoomState = { selection: { kind: "preset", preset: "6h" }, history: [] };
    const seen: TimeRangeSelection[] = [state.selection];
    state = throughUrl(zoomedIn(state, NOW - 3 * 60 * MIN, NOW - 60 * MIN));
    seen.push(state.selection);
    state = throughUrl(zoomedIn(state, NOW - 2 * 60 * MIN, NOW - 90 * MIN));
    seen.push(state.selection);
    state = throughUrl(zoomedIn(state, NOW - 100 * MIN, NOW - 95 * MIN));
    expect(zoomStateToParams(state).zoom).toBe("6h,2025-01-15T09:00:00Z~2025-01-15T11:00:00Z,2025-01-15T10:00:00Z~2025-01-15T10:30:00Z");
    for (const expected of seen.reverse()) {
      state = throughUrl(zoomedOutState(state, resolveRange(state.selection, NOW), NOW));
      expect(state.selection).toEqual(expected);
    }
    expect(state.history).toEqual([]);
  });

  it("with nothing to undo, a live range widens to the next preset and a fixed one doubles", () => {
    expect(zoomedOutState({ selection: { kind: "preset", preset: "15m" }, history: [] }, { from: NOW - 15 * MIN, to: NOW }, NOW).selection).toEqual({ kind: "preset", preset: "1h" });
    expect(zoomedOutState({ selection: { kind: "preset", preset: "24h" }, history: [] }, { from: NOW - 1_440 * MIN, to: NOW }, NOW).selection).toEqual({ kind: "preset", preset: "7d" });
    const week = 7 * 1_440 * MIN;
    expect(zoomedOutState({ selection: { kind: "preset", preset: "7d" }, history: [] }, { from: NOW - week, to: NOW }, NOW).selection).toEqual({ kind: "custom", from: NOW - 2 * week, to: NOW });
    expect(zoomedOutState({ selection: { kind: "custom", from: NOW - 20 * MIN, to: NOW - 10 * MIN }, history: [] }, { from: NOW - 20 * MIN, to: NOW - 10 * MIN }, NOW).selection).toEqual({
      kind: "custom",
      from: NOW - 25 * MIN,
      to: NOW - 5 * MIN,
    });
  });

  it("keeps at most the last few ranges, drops junk, and a zoom is at least a second", () => {
    let state: ZoomState = { selection: { kind: "preset", preset: "7d" }, history: [] };
    for (let i = 0; i < MAX_ZOOM_HISTORY + 5; i++) state = throughUrl(zoomedIn(state, NOW - (100 - i) * MIN, NOW - i * MIN));
    expect(state.history).toHaveLength(MAX_ZOOM_HISTORY);
    expect(state.history[0]).not.toEqual({ kind: "preset", preset: "7d" });
    expect(parseZoomHistory("15m,3y,2025-01-15T12:00:00Z~2025-01-15T10:00:00Z,nonsense~,1h")).toEqual([
      { kind: "preset", preset: "15m" },
      { kind: "preset", preset: "1h" },
    ]);
    expect(zoomedIn(state, NOW, NOW).selection).toEqual({ kind: "custom", from: NOW, to: NOW + 1_000 });
  });
});

describe("drag-to-zoom reads the pointer", () => {
  const wrapper = { getBoundingClientRect: () => ({ left: 50 }) } as unknown as EventTarget;
  const inverse = (px: number) => 1_000 + px * 10;

  it("maps the pointer through the axis' inverse scale, clamped to the range", () => {
    expect(pointerTime({ clientX: 100, currentTarget: wrapper }, inverse, { from: 0, to: 5_000 }, null)).toEqual({ t: 1_500, x: 50 });
    expect(pointerTime({ clientX: 500, currentTarget: wrapper }, inverse, { from: 0, to: 5_000 }, null)).toEqual({ t: 5_000, x: 450 });
  });

  it("falls back to the hovered label without a scale or a pointer", () => {
    expect(pointerTime(undefined, inverse, { from: 0, to: 5_000 }, 1_234)).toEqual({ t: 1_234, x: Number.NaN });
    expect(pointerTime({ clientX: 100, currentTarget: wrapper }, undefined, { from: 0, to: 5_000 }, null)).toBeNull();
  });
});
