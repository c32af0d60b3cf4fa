"use client";

import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { LazyTimeSeriesChart as TimeSeriesChart } from "../../components/charts/LazyTimeSeriesChart";
import type { ChartSeries, TimeRange } from "../../components/charts/types";
import type { GoTargetRow } from "../../components/leaks/GoTargetsPanel";
import { useTRPC } from "../_trpc/client";

/** The gauges a Go target (or a Node agent) leaks through, as recorded from its scrapes; LeakGrowth judges the same series. */
const GAUGES = [
  { metric: "go_goroutines", name: "goroutines" },
  { metric: "process_open_fds", name: "open file descriptors" },
] as const;

/** One target's go_goroutines and process_open_fds over the page's range. */
export function GoTargetResources({ target, range, refetchInterval }: { target: GoTargetRow; range: TimeRange; refetchInterval: number | false }) {
  const trpc = useTRPC();
  const series = target.series;
  const matchers = series
    ? [
        { name: "job", op: "=" as const, value: series.job },
        { name: "instance", op: "=" as const, value: series.instance },
      ]
    : [];
  const query = (metric: string) => ({
    ...trpc.query.range.queryOptions({ metric, matchers, start: Math.floor(range.from), end: Math.ceil(range.to), maxPoints: 300, fn: "raw", maxSeries: 5 }),
    enabled: series !== null,
    refetchInterval,
    retry: false,
  });
  const goroutines = useQuery(query(GAUGES[0].metric));
  const descriptors = useQuery(query(GAUGES[1].metric));
  const chartSeries = useMemo<ChartSeries[]>(
    () =>
      [goroutines.data, descriptors.data].flatMap((data, i) => (data?.series ?? []).map((s) => ({ name: GAUGES[i].name, points: s.points }))),
    [goroutines.data, descriptors.data],
  );
  const queries = [goroutines, descriptors];
  if (!series) return <p className="muted">Not scraped by this Loopscope: its go_goroutines and process_open_fds are not recorded.</p>;
  const error = queries.find((q) => q.error)?.error?.message ?? null;
  return (
    <TimeSeriesChart
      title={`Goroutines and open file descriptors of ${target.name}`}
      unit="count"
      series={chartSeries}
      range={range}
      height={160}
      nonNegative
      loading={queries.some((q) => q.isPending)}
      error={error}
    />
  );
}
