"use client";

import { useCallback, useMemo } from "react";
import type { TimeRange } from "../charts/types";
import {
  parseRangeParams,
  parseRefreshParams,
  parseZoomHistory,
  type RefreshSetting,
  refreshToParams,
  resolveRange,
  type TimeRangeSelection,
  type ZoomState,
  zoomedIn,
  zoomedOutState,
  zoomStateToParams,
} from "../controls/time-range";
import { useNow } from "./use-now";
import { useUrlState } from "./use-url-state";

const DEFAULTS = { range: "1h", from: "", to: "", zoom: "", refresh: "", paused: "" };

export interface DashboardViewState {
  selection: TimeRangeSelection;
  /** The ranges drag-to-zoom came from, oldest first (the URL's `zoom`). */
  zoomHistory: TimeRangeSelection[];
  /** The absolute range to query, re-resolved on every refresh tick for relative ranges. */
  range: TimeRange;
  refresh: RefreshSetting;
  now: number;
  /** A range picked anew (the picker): every range change is a history entry, so Back undoes it. */
  setSelection: (selection: TimeRangeSelection) => void;
  /** Drag-to-zoom: shows [from, to] and remembers the current range (live or fixed) for zoom out. */
  zoomTo: (from: number, to: number) => void;
  /** Back to the range the last zoom came from; with none, a longer range (never past now). */
  zoomOut: () => void;
  setRefresh: (refresh: RefreshSetting) => void;
}

/** The range and zoom history in the address bar right now. */
function zoomStateOfUrl(): ZoomState {
  const params = new URLSearchParams(window.location.search);
  return { selection: parseRangeParams({ range: params.get("range"), from: params.get("from"), to: params.get("to") }), history: parseZoomHistory(params.get("zoom")) };
}

/**
 * The time range, its zoom history and auto-refresh shared by every dashboard page, kept in the
 * URL (`?range=6h&refresh=30s&paused=1` or `?from=…&to=…&zoom=1h`). Needs a `<Suspense>` boundary
 * (useSearchParams).
 */
export function useDashboardUrlState(): DashboardViewState {
  const [params, setParams] = useUrlState(DEFAULTS);
  const selection = useMemo(() => parseRangeParams(params), [params]);
  const zoomHistory = useMemo(() => parseZoomHistory(params.zoom), [params.zoom]);
  const refresh = useMemo(() => parseRefreshParams(params), [params]);
  // A fixed range needs no ticking clock.
  const now = useNow(refresh.intervalMs, refresh.paused || selection.kind === "custom");
  const range = useMemo(() => resolveRange(selection, now), [selection, now]);
  const setSelection = useCallback((s: TimeRangeSelection) => setParams(zoomStateToParams({ selection: s, history: [] }), { history: "push" }), [setParams]);
  // Zooms start from the URL as it is now, not as last rendered: a second click before the page
  // has re-rendered must undo the next zoom, not the same one again.
  const zoomTo = useCallback((from: number, to: number) => setParams(zoomStateToParams(zoomedIn(zoomStateOfUrl(), from, to)), { history: "push" }), [setParams]);
  const zoomOut = useCallback(() => {
    const state = zoomStateOfUrl();
    const current = Date.now();
    setParams(zoomStateToParams(zoomedOutState(state, resolveRange(state.selection, current), current)), { history: "push" });
  }, [setParams]);
  const setRefresh = useCallback((r: RefreshSetting) => setParams(refreshToParams(r)), [setParams]);
  return { selection, zoomHistory, range, refresh, now, setSelection, zoomTo, zoomOut, setRefresh };
}
