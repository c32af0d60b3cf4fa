"use client";

import { useQueries, useQuery } from "@tanstack/react-query";
import { TimeSeriesChart } from "../../components/charts/TimeSeriesChart";
import type { AlertAnnotationView, ChartUnit, TimeRange } from "../../components/charts/types";
import type { RangeQueryInput } from "../../server/query/range-query";
import { useTRPC } from "../_trpc/client";

/** One line of a panel: a recorder query, named (or named by one of its labels). */
export interface PanelQuery {
  name: string;
  query: Omit<RangeQueryInput, "start" | "end" | "maxPoints">;
  /** Name each returned series by this label's value instead. */
  nameBy?: string;
}

export interface MetricPanelProps {
  title: string;
  unit: ChartUnit;
  queries: PanelQuery[];
  range: TimeRange;
  /** The watched series whose expected band and anomaly windows are drawn. */
  seriesKey?: string;
  annotations?: AlertAnnotationView[];
  stacked?: boolean;
  refetchInterval: number | false;
  syncId?: string;
  onZoom?: (from: number, to: number) => void;
}

/** A chart of recorded series (≤ 1,000 points each) with its anomaly band, windows and alert spans. */
export function MetricPanel(props: MetricPanelProps) {
  const trpc = useTRPC();
  const { range, refetchInterval } = props;
  const results = useQueries({
    queries: props.queries.map((q) => ({
      ...trpc.query.range.queryOptions({ ...q.query, start: Math.floor(range.from), end: Math.floor(range.to), maxPoints: 1_000 }),
      refetchInterval,
    })),
  });
  const band = useQuery({
    ...trpc.anomaly.band.queryOptions({ seriesKey: props.seriesKey ?? "", from: Math.floor(range.from), to: Math.floor(range.to) }),
    enabled: props.seriesKey !== undefined && range.to - range.from <= 7 * 86_400_000,
    refetchInterval,
    retry: false,
  });
  const windows = useQuery({
    ...trpc.anomaly.windows.queryOptions({ seriesKey: props.seriesKey ?? "", from: Math.floor(range.from), to: Math.floor(range.to) }),
    enabled: props.seriesKey !== undefined,
    refetchInterval,
    retry: false,
  });
  const series = results.flatMap((result, i) => {
    const spec = props.queries[i];
    return (result.data?.series ?? []).map((s) => ({
      name: spec.nameBy ? (s.labels[spec.nameBy] ?? spec.name) : spec.name,
      points: s.points,
    }));
  });
  const error = results.find((r) => r.error)?.error?.message;
  return (
    <TimeSeriesChart
      title={props.title}
      unit={props.unit}
      series={series}
      range={range}
      stacked={props.stacked}
      syncId={props.syncId}
      onZoom={props.onZoom}
      loading={results.some((r) => r.isPending)}
      error={error}
      band={band.data ? { points: band.data.flatMap((p) => (p.lower === null || p.upper === null ? [] : [[p.ts, p.lower, p.upper] as const])) } : undefined}
      anomalyWindows={(windows.data ?? []).map((w) => ({ start: w.start, end: w.end, peakScore: w.peakScore, direction: w.direction }))}
      annotations={props.annotations}
    />
  );
}
