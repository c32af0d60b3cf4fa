"use client";

import { formatTimestamp } from "../format/time";
import type { DashboardViewState } from "../hooks/use-dashboard-url-state";
import { AutoRefreshToggle } from "./AutoRefreshToggle";
import { TimeRangePicker } from "./TimeRangePicker";

function zoomOutTitle(view: DashboardViewState): string {
  const previous = view.zoomHistory.at(-1);
  if (!previous) return view.selection.kind === "preset" ? "Show a longer time range" : "Show twice the time range";
  const where = previous.kind === "preset" ? `the last ${previous.preset} (live)` : `${formatTimestamp(previous.from)} – ${formatTimestamp(previous.to)}`;
  return `Back to ${where}, the range before the last zoom`;
}

/**
 * The time range picker, zoom out and auto-refresh of a page, bound to its URL state. `pending`
 * says a new range is being fetched (shown at once, while the previous data stays on screen).
 */
export function ViewToolbar({ view, lastUpdatedAt, pending = false }: { view: DashboardViewState; lastUpdatedAt?: number | null; pending?: boolean }) {
  return (
    <div className="view-toolbar">
      <TimeRangePicker value={view.selection} onChange={view.setSelection} now={view.now} />
      <button type="button" onClick={view.zoomOut} data-testid="zoom-out" data-zoom-depth={view.zoomHistory.length} title={zoomOutTitle(view)}>
        Zoom out
      </button>
      <AutoRefreshToggle intervalMs={view.refresh.intervalMs} paused={view.refresh.paused} onChange={view.setRefresh} lastUpdatedAt={lastUpdatedAt} />
      <span className="pending-indicator" role="status" aria-live="polite" data-testid="range-pending" data-pending={pending ? "true" : "false"}>
        {pending ? "Loading the new range…" : ""}
      </span>
    </div>
  );
}
