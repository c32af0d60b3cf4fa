"use client";

import { useCallback, useMemo } from "react";
import type { TimeRange } from "../charts/types";
import {
  parseRangeParams,
  parseRefreshParams,
  type RefreshSetting,
  rangeToParams,
  refreshToParams,
  resolveRange,
  type TimeRangeSelection,
} from "../controls/time-range";
import { useNow } from "./use-now";
import { useUrlState } from "./use-url-state";

const DEFAULTS = { range: "1h", from: "", to: "", refresh: "", paused: "" };

export interface DashboardViewState {
  selection: TimeRangeSelection;
  /** The absolute range to query, re-resolved on every refresh tick for relative ranges. */
  range: TimeRange;
  refresh: RefreshSetting;
  now: number;
  setSelection: (selection: TimeRangeSelection) => void;
  setRefresh: (refresh: RefreshSetting) => void;
}

/**
 * The time range and auto-refresh shared by every dashboard page, kept in the URL
 * (`?range=6h&refresh=30s&paused=1` or `?from=…&to=…`). Needs a `<Suspense>` boundary (useSearchParams).
 */
export function useDashboardUrlState(): DashboardViewState {
  const [params, setParams] = useUrlState(DEFAULTS);
  const selection = useMemo(() => parseRangeParams(params), [params]);
  const refresh = useMemo(() => parseRefreshParams(params), [params]);
  // A fixed range needs no ticking clock.
  const now = useNow(refresh.intervalMs, refresh.paused || selection.kind === "custom");
  const range = useMemo(() => resolveRange(selection, now), [selection, now]);
  const setSelection = useCallback((s: TimeRangeSelection) => setParams(rangeToParams(s)), [setParams]);
  const setRefresh = useCallback((r: RefreshSetting) => setParams(refreshToParams(r)), [setParams]);
  return { selection, range, refresh, now, setSelection, setRefresh };
}
