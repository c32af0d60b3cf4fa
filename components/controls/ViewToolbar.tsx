"use client";

import type { DashboardViewState } from "../hooks/use-dashboard-url-state";
import { AutoRefreshToggle } from "./AutoRefreshToggle";
import { TimeRangePicker } from "./TimeRangePicker";

/** The time range picker and auto-refresh of a page, bound to its URL state. */
export function ViewToolbar({ view, lastUpdatedAt }: { view: DashboardViewState; lastUpdatedAt?: number | null }) {
  return (
    <div className="view-toolbar">
      <TimeRangePicker value={view.selection} onChange={view.setSelection} now={view.now} />
      <AutoRefreshToggle intervalMs={view.refresh.intervalMs} paused={view.refresh.paused} onChange={view.setRefresh} lastUpdatedAt={lastUpdatedAt} />
    </div>
  );
}
