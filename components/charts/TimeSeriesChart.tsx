"use client";

import { type SyntheticEvent, useCallback, useEffect, useMemo, useRef, useState } from "react";
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
  useXAxisInverseScale,
  YAxis,
} from "recharts";
import { formatTick, formatTimestamp, timeTicks } from "../format/time";
import { formatValue, type ValueUnit } from "../format/units";
import { ChartFrame, type ChartState } from "./ChartFrame";
import { EventShading } from "./EventShading";
import { seriesColor } from "./palette";
import {
  buildChartRows,
  byteTicks,
  type ChartRow,
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
  /** Every series is ≥ 0 (counts, rates, durations): the y axis starts at 0 and never goes below. */
  nonNegative?: boolean;
  /** The legend shows min / max / mean over the range and each series can be hidden by clicking it. */
  legendStats?: boolean;
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

interface AxisTickProps {
  x: number | string;
  y: number | string;
  textAnchor?: "start" | "middle" | "end" | "inherit";
  verticalAnchor?: "start" | "middle" | "end";
  className?: string;
  payload: { value: number };
}

/**
 * One axis label as plain SVG text. Recharts' own tick text measures every label in the DOM (to
 * wrap and to drop overlapping ticks), a forced layout per label while nine charts are inserted;
 * these ticks are chosen to fit (time ticks by span, value ticks few), so nothing is measured.
 */
function AxisTick({ x, y, textAnchor, verticalAnchor, className, text }: AxisTickProps & { text: string }) {
  // The offsets recharts' Text uses for one line: cap height below the anchor, or centred on it.
  const dy = verticalAnchor === "start" ? "0.71em" : verticalAnchor === "end" ? undefined : "0.355em";
  return (
    <text x={x} y={y} dy={dy} textAnchor={textAnchor} className={className} fill="var(--muted)" fontSize={11}>
      {text}
    </text>
  );
}

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

type InverseScale = (pixel: number) => unknown;

/**
 * Hands the x axis' pixel → time function to the chart's mouse handlers (recharts' hooks work only
 * inside the chart). recharts 3 gives those handlers no usable `activeLabel` on this number axis
 * (a drag never started), so a drag is read from the pointer's position instead.
 */
function XInverseScaleProbe({ target }: { target: { current: InverseScale | undefined } }) {
  const inverse = useXAxisInverseScale();
  useEffect(() => {
    target.current = inverse;
  }, [inverse, target]);
  return null;
}

/** Minimum drag (px) that zooms; a click with a jitter does not. */
const MIN_DRAG_PX = 4;

/**
 * The pointer's time and x (px from the chart's left edge) for a mouse event on the chart wrapper:
 * the axis' inverse scale at the pointer, clamped to the range; else the hovered label.
 */
export function pointerTime(
  event: { clientX?: number; currentTarget?: EventTarget | null } | undefined,
  inverse: InverseScale | undefined,
  range: TimeRange,
  fallback: number | null,
): { t: number; x: number } | null {
  const el = event?.currentTarget as Element | null | undefined;
  if (inverse && el && typeof el.getBoundingClientRect === "function" && typeof event?.clientX === "number") {
    const x = event.clientX - el.getBoundingClientRect().left;
    const t = Number(inverse(x));
    if (Number.isFinite(t)) return { t: Math.min(range.to, Math.max(range.from, t)), x };
  }
  return fallback === null ? null : { t: fallback, x: Number.NaN };
}

/** Min, max and mean of a series' finite values, or null when it has none. */
export function seriesStats(series: ChartSeries): { min: number; max: number; mean: number } | null {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  let n = 0;
  for (const [, v] of series.points) {
    if (v === null || !Number.isFinite(v)) continue;
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
    n += 1;
  }
  return n === 0 ? null : { min, max, mean: sum / n };
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
  nonNegative = false,
  legendStats = false,
}: TimeSeriesChartProps) {
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());
  // Only the chart under the pointer shows its tooltip; synced charts show just the crosshair.
  const [hovered, setHovered] = useState(false);
  // Colours follow a series' place in the full list, so hiding one does not repaint the others.
  const visible = useMemo(() => series.map((s, i) => ({ ...s, color: seriesColor(i, s.color) })).filter((s) => !hidden.has(s.name)), [series, hidden]);
  const allSeries = series;
  series = visible;
  const rows = useMemo(() => buildChartRows(series, band), [series, band]);
  const ticks = useMemo(() => timeTicks(range.from, range.to), [range.from, range.to]);
  // Byte axes get binary-boundary ticks; thresholds above the data still extend the domain.
  const yTicks = useMemo(() => {
    if (unit !== "bytes" && unit !== "bytes/s") return undefined;
    const max = Math.max(maxValue(rows, series.length, stacked), ...thresholds.map((t) => t.value));
    const ticks = byteTicks(max);
    return ticks.length > 1 ? ticks : undefined;
  }, [unit, rows, series.length, stacked, thresholds]);
  const [drag, setDrag] = useState<{ start: number; end: number; x0: number; x1: number } | null>(null);
  const inverseX = useRef<InverseScale | undefined>(undefined);

  const state: ChartState = error ? "error" : loading ? "loading" : isEmptySeries(series) ? "empty" : "ready";

  const onMouseDown = useCallback(
    (param: MouseHandlerDataParam, event?: SyntheticEvent) => {
      const at = pointerTime(event, inverseX.current, range, activeTime(param));
      if (at !== null) setDrag({ start: at.t, end: at.t, x0: at.x, x1: at.x });
    },
    [range],
  );
  const onMouseMove = useCallback(
    (param: MouseHandlerDataParam, event?: SyntheticEvent) => {
      const at = pointerTime(event, inverseX.current, range, activeTime(param));
      if (at !== null) setDrag((d) => (d ? { ...d, end: at.t, x1: at.x } : d));
    },
    [range],
  );
  const onMouseUp = useCallback(() => {
    // Pixels when known (the pointer), else any change of the hovered label.
    const moved = drag && (Number.isFinite(drag.x0) && Number.isFinite(drag.x1) ? Math.abs(drag.x1 - drag.x0) >= MIN_DRAG_PX : drag.end !== drag.start);
    if (drag && onZoom && moved && drag.end !== drag.start) onZoom(Math.min(drag.start, drag.end), Math.max(drag.start, drag.end));
    setDrag(null);
  }, [drag, onZoom]);

  const toggle = (name: string) =>
    setHidden((current) => {
      const next = new Set(current);
      if (next.has(name)) next.delete(name);
      else next.add(name);
      return next;
    });
  const legend = (
    <ul className="chart-legend">
      {allSeries.map((s, i) => {
        const stats = legendStats ? seriesStats(s) : null;
        const label = (
          <>
            <span className="swatch" style={{ background: seriesColor(i, s.color) }} aria-hidden="true" />
            {s.name} <span className="legend-value" data-series={s.name}>{formatValue(lastValue(s), unit, "exact")}</span>
            {stats ? (
              <span className="legend-stats" data-testid="legend-stats">
                {" "}
                min {formatValue(stats.min, unit, "exact")} · max {formatValue(stats.max, unit, "exact")} · mean {formatValue(stats.mean, unit, "exact")}
              </span>
            ) : null}
          </>
        );
        return (
          <li key={s.name} className={hidden.has(s.name) ? "legend-hidden" : undefined}>
            {legendStats ? (
              <button type="button" className="legend-toggle" aria-pressed={!hidden.has(s.name)} onClick={() => toggle(s.name)} title={`Show or hide ${s.name}`}>
                {label}
              </button>
            ) : (
              label
            )}
          </li>
        );
      })}
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

  const alertList =
    annotations.length > 0 ? (
      <ul className="chart-alerts" data-testid="chart-alerts">
        {annotations.map((a) => (
          <li key={`${a.label}-${a.start}`} className={`alert-${a.state}`}>
            {a.href ? <a href={a.href}>{a.label}</a> : a.label} <span className="muted">{a.state === "firing" ? "firing" : "fired"} {formatTick(a.start, range.from, range.to)}{a.end !== null ? `–${formatTick(a.end, range.from, range.to)}` : ""}</span>
          </li>
        ))}
      </ul>
    ) : null;
  return (
    <ChartFrame title={title} caption={UNIT_CAPTION[unit]} state={state} height={height} error={error} legend={legend} footer={alertList}>
      {/* No initial size: the chart is drawn once, at its measured size (a guessed one meant drawing it twice). */}
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart
          data={rows}
          syncId={syncId}
          syncMethod={syncByNearestTime}
          margin={{ top: 8, right: 12, bottom: 0, left: 0 }}
          onMouseDown={onZoom ? onMouseDown : undefined}
          onMouseMove={onZoom ? onMouseMove : undefined}
          onMouseUp={onZoom ? onMouseUp : undefined}
          onMouseEnter={() => setHovered(true)}
          onMouseLeave={() => {
            setHovered(false);
            setDrag(null);
          }}
          cursor={onZoom ? "crosshair" : undefined}
        >
          <XAxis
            dataKey="t"
            type="number"
            scale="time"
            domain={[range.from, range.to]}
            allowDataOverflow
            ticks={ticks}
            interval={0}
            stroke="var(--muted)"
            tick={(props: AxisTickProps) => <AxisTick {...props} text={formatTick(props.payload.value, range.from, range.to)} />}
          />
          <YAxis
            width={64}
            domain={yTicks ? [0, yTicks[yTicks.length - 1]] : nonNegative ? [0, "auto"] : [yLowerBound, "auto"]}
            allowDataOverflow={nonNegative}
            ticks={yTicks}
            allowDecimals={unit !== "count"}
            interval={0}
            stroke="var(--muted)"
            tick={(props: AxisTickProps) => <AxisTick {...props} text={formatValue(props.payload.value, unit, "axis")} />}
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
          <EventShading windows={anomalyWindows} annotations={annotations} range={range} />
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
          {onZoom ? <XInverseScaleProbe target={inverseX} /> : null}
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
            content={(props: TooltipContentProps) =>
              !hovered ? null : (
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
