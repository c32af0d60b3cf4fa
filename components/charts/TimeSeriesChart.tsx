"use client";

import { useCallback, useMemo, useState } from "react";
import {
  Area,
  ComposedChart,
  Line,
  type MouseHandlerDataParam,
  ReferenceArea,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  type TickItem,
  type TooltipContentProps,
  XAxis,
  YAxis,
} from "recharts";
import { formatTick, formatTimestamp, timeTicks } from "../format/time";
import { formatValue, type ValueUnit } from "../format/units";
import { ChartFrame, type ChartState } from "./ChartFrame";
import { seriesColor } from "./palette";
import {
  buildChartRows,
  byteTicks,
  type ChartRow,
  clipToRange,
  eventsAt,
  interpolatedKey,
  isEmptySeries,
  maxValue,
  nearestIndex,
  seriesKey,
  yLowerBound,
} from "./series-data";
import type { AlertAnnotationView, AnomalyWindowView, ChartSeries, ExpectedBand, TimeRange } from "./types";

/** A horizontal reference line, e.g. max workers or a rule's threshold. */
export interface ChartThreshold {
  value: number;
  label: string;
  color?: string;
}

export interface TimeSeriesChartProps {
  title: string;
  unit: ValueUnit;
  series: readonly ChartSeries[];
  /** The detector's expected range, drawn as a grey area between lower and upper. */
  band?: ExpectedBand;
  anomalyWindows?: readonly AnomalyWindowView[];
  annotations?: readonly AlertAnnotationView[];
  thresholds?: readonly ChartThreshold[];
  /** Stack the series as areas (e.g. reconcile results by result). */
  stacked?: boolean;
  /** Charts with the same syncId share the hover crosshair. */
  syncId?: string;
  range: TimeRange;
  /** Plot height in px (default 220). */
  height?: number;
  /** Drag across the plot to select a range; called with the selection (ms). */
  onZoom?: (from: number, to: number) => void;
  loading?: boolean;
  error?: string | null;
}

const UNIT_CAPTION: Record<ValueUnit, string> = {
  s: "seconds",
  "ops/s": "per second",
  count: "",
  bytes: "bytes",
  "bytes/s": "bytes/s",
  "%": "%",
  ratio: "%",
  none: "",
};

/** Alert spans narrower than this share of the range get no text label. */
const LABEL_MIN_FRACTION = 0.08;

const ANNOTATION_COLOR: Record<AlertAnnotationView["state"], string> = {
  firing: "var(--bad)",
  pending: "var(--warn)",
  resolved: "var(--muted)",
};

/** Crosshair sync by nearest timestamp, so charts whose samples do not line up still follow each other. */
function syncByNearestTime(ticks: ReadonlyArray<TickItem>, data: MouseHandlerDataParam): number {
  const label = Number(data.activeLabel);
  if (!Number.isFinite(label) || ticks.length === 0) return 0;
  return nearestIndex(
    ticks.map((tick) => Number(tick.value)),
    label,
  );
}

/** The hovered timestamp, if the pointer is over the plot. */
function activeTime(param: MouseHandlerDataParam): number | null {
  const value = Number(param.activeLabel);
  return param.activeLabel !== undefined && Number.isFinite(value) ? value : null;
}

function lastValue(series: ChartSeries): number | null {
  for (let i = series.points.length - 1; i >= 0; i--) {
    const v = series.points[i][1];
    if (v !== null && Number.isFinite(v)) return v;
  }
  return null;
}

/**
 * A time series chart over a fixed range with the expected band, anomaly windows (class
 * `anomaly-window`), alert spans (class `alert-annotation`), synced crosshair, exact-value tooltip
 * and drag-to-zoom. Every series is drawn without animation so screenshots are deterministic.
 */
export function TimeSeriesChart({
  title,
  unit,
  series,
  band,
  anomalyWindows = [],
  annotations = [],
  thresholds = [],
  stacked = false,
  syncId,
  range,
  height = 220,
  onZoom,
  loading = false,
  error = null,
}: TimeSeriesChartProps) {
  const rows = useMemo(() => buildChartRows(series, band), [series, band]);
  const ticks = useMemo(() => timeTicks(range.from, range.to), [range.from, range.to]);
  // Byte axes get binary-boundary ticks; thresholds above the data still extend the domain.
  const yTicks = useMemo(() => {
    if (unit !== "bytes" && unit !== "bytes/s") return undefined;
    const max = Math.max(maxValue(rows, series.length, stacked), ...thresholds.map((t) => t.value));
    const ticks = byteTicks(max);
    return ticks.length > 1 ? ticks : undefined;
  }, [unit, rows, series.length, stacked, thresholds]);
  const [drag, setDrag] = useState<{ start: number; end: number } | null>(null);

  const state: ChartState = error ? "error" : loading ? "loading" : isEmptySeries(series) ? "empty" : "ready";

  const onMouseDown = useCallback((param: MouseHandlerDataParam) => {
    const t = activeTime(param);
    if (t !== null) setDrag({ start: t, end: t });
  }, []);
  const onMouseMove = useCallback((param: MouseHandlerDataParam) => {
    const t = activeTime(param);
    if (t !== null) setDrag((d) => (d ? { ...d, end: t } : d));
  }, []);
  const onMouseUp = useCallback(() => {
    if (drag && onZoom && drag.end !== drag.start) onZoom(Math.min(drag.start, drag.end), Math.max(drag.start, drag.end));
    setDrag(null);
  }, [drag, onZoom]);

  const legend = (
    <ul className="chart-legend">
      {series.map((s, i) => (
        <li key={s.name}>
          <span className="swatch" style={{ background: seriesColor(i, s.color) }} aria-hidden="true" />
          {s.name} <span className="legend-value" data-series={s.name}>{formatValue(lastValue(s), unit, "exact")}</span>
        </li>
      ))}
      {band ? (
        <li>
          <span className="swatch swatch-band" aria-hidden="true" />
          expected
        </li>
      ) : null}
      {anomalyWindows.length > 0 ? (
        <li>
          <span className="swatch swatch-anomaly" aria-hidden="true" />
          {anomalyWindows.length} anomal{anomalyWindows.length === 1 ? "y" : "ies"}
        </li>
      ) : null}
    </ul>
  );

  return (
    <ChartFrame title={title} caption={UNIT_CAPTION[unit]} state={state} height={height} error={error} legend={legend}>
      <ResponsiveContainer width="100%" height="100%" initialDimension={{ width: 600, height }}>
        <ComposedChart
          data={rows}
          syncId={syncId}
          syncMethod={syncByNearestTime}
          margin={{ top: 8, right: 12, bottom: 0, left: 0 }}
          onMouseDown={onZoom ? onMouseDown : undefined}
          onMouseMove={onZoom ? onMouseMove : undefined}
          onMouseUp={onZoom ? onMouseUp : undefined}
          onMouseLeave={onZoom ? () => setDrag(null) : undefined}
          cursor={onZoom ? "crosshair" : undefined}
        >
          <XAxis
            dataKey="t"
            type="number"
            scale="time"
            domain={[range.from, range.to]}
            allowDataOverflow
            ticks={ticks}
            tickFormatter={(t: number) => formatTick(t, range.from, range.to)}
            stroke="var(--muted)"
            tick={{ fill: "var(--muted)", fontSize: 11 }}
          />
          <YAxis
            width={64}
            domain={yTicks ? [0, yTicks[yTicks.length - 1]] : [yLowerBound, "auto"]}
            ticks={yTicks}
            allowDecimals={unit !== "count"}
            tickFormatter={(v: number) => formatValue(v, unit, "axis")}
            stroke="var(--muted)"
            tick={{ fill: "var(--muted)", fontSize: 11 }}
          />
          {band ? (
            <Area
              dataKey="band"
              name="expected"
              className="expected-band"
              type="linear"
              stroke="none"
              fill="var(--band)"
              fillOpacity={1}
              activeDot={false}
              legendType="none"
              isAnimationActive={false}
            />
          ) : null}
          {anomalyWindows.map((w) => {
            const clipped = clipToRange(w.start, w.end, range);
            if (!clipped) return null;
            return (
              <ReferenceArea
                key={`anomaly-${w.start}`}
                className="anomaly-window"
                x1={clipped[0]}
                x2={clipped[1]}
                ifOverflow="hidden"
                fill="var(--anomaly)"
                fillOpacity={1}
                data-direction={w.direction}
                data-peak-score={w.peakScore}
                data-open={w.end === null ? "true" : "false"}
              />
            );
          })}
          {annotations.map((a) => {
            const color = ANNOTATION_COLOR[a.state];
            const key = `alert-${a.label}-${a.start}-${a.state}`;
            const clipped = clipToRange(a.start, a.end, range);
            if (!clipped) {
              if (a.start < range.from || a.start > range.to) return null;
              return (
                <ReferenceLine
                  key={key}
                  className={`alert-annotation alert-annotation-${a.state}`}
                  x={a.start}
                  stroke={color}
                  strokeDasharray="4 3"
                  label={{ value: a.label, position: "insideTopLeft", fill: color, fontSize: 11 }}
                />
              );
            }
            return (
              <ReferenceArea
                key={key}
                className={`alert-annotation alert-annotation-${a.state}`}
                x1={clipped[0]}
                x2={clipped[1]}
                ifOverflow="hidden"
                fill={color}
                fillOpacity={a.state === "firing" ? 0.1 : 0.06}
                stroke={color}
                strokeOpacity={0.5}
                strokeDasharray="4 3"
                data-state={a.state}
                data-label={a.label}
                label={
                  // Narrow spans stay unlabelled so labels never pile up; the tooltip names them.
                  clipped[1] - clipped[0] >= LABEL_MIN_FRACTION * (range.to - range.from)
                    ? { value: a.label, position: "insideTopLeft", fill: color, fontSize: 11 }
                    : undefined
                }
              />
            );
          })}
          {thresholds.map((th) => (
            <ReferenceLine
              key={`threshold-${th.label}-${th.value}`}
              className="threshold-line"
              y={th.value}
              ifOverflow="extendDomain"
              stroke={th.color ?? "var(--warn)"}
              strokeDasharray="6 4"
              label={{ value: th.label, position: "insideBottomRight", fill: th.color ?? "var(--warn)", fontSize: 11 }}
            />
          ))}
          {series.map((s, i) =>
            stacked ? (
              <Area
                key={s.name}
                dataKey={seriesKey(i)}
                name={s.name}
                stackId="stack"
                type="linear"
                stroke={seriesColor(i, s.color)}
                fill={seriesColor(i, s.color)}
                fillOpacity={0.45}
                className="chart-series"
                isAnimationActive={false}
              />
            ) : (
              <Line
                key={s.name}
                dataKey={seriesKey(i)}
                name={s.name}
                type="linear"
                stroke={seriesColor(i, s.color)}
                strokeWidth={1.6}
                dot={false}
                className="chart-series"
                isAnimationActive={false}
              />
            ),
          )}
          {drag && drag.end !== drag.start ? (
            <ReferenceArea
              className="zoom-selection"
              x1={Math.min(drag.start, drag.end)}
              x2={Math.max(drag.start, drag.end)}
              fill="var(--accent)"
              fillOpacity={0.15}
              ifOverflow="hidden"
            />
          ) : null}
          <Tooltip
            isAnimationActive={false}
            cursor={{ stroke: "var(--muted)", strokeDasharray: "3 3" }}
            content={(props: TooltipContentProps) => (
              <ChartTooltip
                {...props}
                series={series}
                unit={unit}
                stacked={stacked}
                range={range}
                anomalyWindows={anomalyWindows}
                annotations={annotations}
              />
            )}
          />
        </ComposedChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}

interface ChartTooltipProps extends TooltipContentProps {
  series: readonly ChartSeries[];
  unit: ValueUnit;
  stacked: boolean;
  range: TimeRange;
  anomalyWindows: readonly AnomalyWindowView[];
  annotations: readonly AlertAnnotationView[];
}

/** Exact values at the hovered time, with the expected range and any anomaly or alert covering it. */
function ChartTooltip({ active, payload, series, unit, stacked, range, anomalyWindows, annotations }: ChartTooltipProps) {
  const row = payload?.[0]?.payload as ChartRow | undefined;
  if (!active || !row) return null;
  const events = eventsAt(row.t, range, anomalyWindows, annotations);
  let total = 0;
  return (
    <div className="chart-tooltip" role="status">
      <div className="chart-tooltip-time">{formatTimestamp(row.t)}</div>
      <table>
        <tbody>
          {series.map((s, i) => {
            const value = row[seriesKey(i)];
            if (typeof value !== "number") return null;
            total += value;
            return (
              <tr key={s.name}>
                <td>
                  <span className="swatch" style={{ background: seriesColor(i, s.color) }} aria-hidden="true" />
                  {s.name}
                </td>
                <td className="num">
                  {row[interpolatedKey(i)] ? "≈ " : ""}
                  {formatValue(value, unit, "exact")}
                </td>
              </tr>
            );
          })}
          {stacked && series.length > 1 ? (
            <tr>
              <td>total</td>
              <td className="num">{formatValue(total, unit, "exact")}</td>
            </tr>
          ) : null}
          {row.band ? (
            <tr className="muted">
              <td>expected</td>
              <td className="num">
                {formatValue(row.band[0], unit, "exact")} – {formatValue(row.band[1], unit, "exact")}
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
      {events.windows.map((w) => (
        <div key={`w-${w.start}`} className="chart-tooltip-event anomaly">
          Anomaly ({w.direction}, score {w.peakScore.toFixed(2)}){w.end === null ? ", open" : ""}
        </div>
      ))}
      {events.annotations.map((a) => (
        <div key={`a-${a.label}-${a.start}`} className={`chart-tooltip-event alert-${a.state}`}>
          Alert {a.state}: {a.label}
        </div>
      ))}
    </div>
  );
}
