"use client";

import { useEffect, useRef, useState, useSyncExternalStore } from "react";
import { ChartFrame } from "./ChartFrame";
import type { TimeSeriesChart, TimeSeriesChartProps } from "./TimeSeriesChart";

let loading: Promise<typeof TimeSeriesChart> | undefined;
/** Set once the chart code has arrived, so charts rendered after that draw at once. */
let loaded: typeof TimeSeriesChart | undefined;

/**
 * Starts fetching the chart code (recharts, a third of a charting page's JavaScript) if it is not
 * on its way yet. A page that always charts calls it when its module loads, so the code downloads
 * and compiles beside the page's data request instead of holding up the page's first render.
 */
export function preloadTimeSeriesChart(): Promise<typeof TimeSeriesChart> {
  loading ??= import("./TimeSeriesChart").then((m) => {
    loaded = m.TimeSeriesChart;
    return loaded;
  });
  // A failed fetch (e.g. a deploy replaced the chunk) is tried again by the next chart that mounts.
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}

const subscribe = () => () => undefined;

/**
 * TimeSeriesChart with its code loaded on demand: until the code is there (and on the server,
 * where a chart has nothing to draw) the chart's own frame stands in, in its loading state, at
 * its height, so the page does not move when the plot arrives. Not a Suspense boundary: React
 * holds back a boundary's resolved content for up to 300 ms, which a page of charts would wait
 * for even when the code had arrived long before its data.
 */
export function LazyTimeSeriesChart(props: TimeSeriesChartProps) {
  const inBrowser = useSyncExternalStore(
    subscribe,
    () => true,
    () => false,
  );
  const [failure, setFailure] = useState<string | null>(null);
  const [, setArrived] = useState(false);
  const Chart = inBrowser ? loaded : undefined;
  // Read by the callback below: a chart already drawn needs no second render when the code "arrives".
  const drawn = useRef(false);
  drawn.current = Chart !== undefined;
  useEffect(() => {
    if (drawn.current) return;
    let mounted = true;
    preloadTimeSeriesChart().then(
      () => {
        if (mounted && !drawn.current) setArrived(true);
      },
      (error: unknown) => {
        if (mounted) setFailure(`the chart code did not load (${error instanceof Error ? error.message : String(error)}); reload the page`);
      },
    );
    return () => {
      mounted = false;
    };
  }, []);
  if (Chart) return <Chart {...props} />;
  return <ChartFrame title={props.title} state={failure ? "error" : "loading"} error={failure} height={props.height ?? 220} />;
}
