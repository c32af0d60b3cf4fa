"use client";

import { usePlotArea, useXAxisScale } from "recharts";
import { clipToRange } from "./series-data";
import type { AlertAnnotationView, AnomalyWindowView, TimeRange } from "./types";

const ANNOTATION_COLOR: Record<AlertAnnotationView["state"], string> = {
  firing: "var(--bad)",
  pending: "var(--warn)",
  resolved: "var(--muted)",
};

/**
 * Anomaly windows (class `anomaly-window`) and alert spans (class `alert-annotation`, a dashed
 * line for one that starts in the range but has no span in it) shaded behind a chart's series,
 * drawn as one layer from the chart's x scale. Each recharts ReferenceArea is an item of the
 * chart's store, and every item added makes every other one re-select: with a page of charts
 * sharing the same alert spans that was a large part of drawing them.
 */
export function EventShading({ windows, annotations, range }: { windows: readonly AnomalyWindowView[]; annotations: readonly AlertAnnotationView[]; range: TimeRange }) {
  const x = useXAxisScale();
  const plot = usePlotArea();
  if (!x || !plot) return null;
  const span = (start: number, end: number | null) => {
    const clipped = clipToRange(start, end, range);
    if (!clipped) return null;
    const x1 = x(clipped[0]);
    const x2 = x(clipped[1]);
    return x1 === undefined || x2 === undefined ? null : { x: Math.min(x1, x2), width: Math.abs(x2 - x1) };
  };
  return (
    <g className="event-shading">
      {windows.map((w) => {
        const at = span(w.start, w.end);
        if (!at) return null;
        return (
          <rect
            key={`anomaly-${w.start}`}
            className={w.explainedBy ? "anomaly-window explained" : "anomaly-window"}
            x={at.x}
            y={plot.y}
            width={at.width}
            height={plot.height}
            fill="var(--anomaly)"
            fillOpacity={w.explainedBy ? 0.4 : undefined}
            data-direction={w.direction}
            data-peak-score={w.peakScore}
            data-open={w.end === null ? "true" : "false"}
            data-explained-by={w.explainedBy ?? undefined}
          >
            {w.explainedBy ? <title>{`explained by the window of ${w.explainedBy}`}</title> : null}
          </rect>
        );
      })}
      {annotations.map((a) => {
        const color = ANNOTATION_COLOR[a.state];
        const key = `alert-${a.label}-${a.start}-${a.state}`;
        const className = `alert-annotation alert-annotation-${a.state}`;
        const at = span(a.start, a.end);
        if (!at) {
          const left = a.start >= range.from && a.start <= range.to ? x(a.start) : undefined;
          if (left === undefined) return null;
          return <line key={key} className={className} x1={left} x2={left} y1={plot.y} y2={plot.y + plot.height} stroke={color} strokeDasharray="4 3" data-state={a.state} data-label={a.label} />;
        }
        return (
          <rect
            key={key}
            className={className}
            x={at.x}
            y={plot.y}
            width={at.width}
            height={plot.height}
            fill={color}
            fillOpacity={a.state === "firing" ? 0.1 : 0.06}
            stroke={color}
            strokeOpacity={0.5}
            strokeDasharray="4 3"
            data-state={a.state}
            data-label={a.label}
          />
        );
      })}
    </g>
  );
}
