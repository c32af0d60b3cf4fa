"use client";

import { type MouseEvent, useState } from "react";
import { formatTimestamp } from "../format/time";
import { formatValue, type ValueUnit } from "../format/units";
import { Sparkline, type SparklineProps } from "./Sparkline";
import type { SeriesPoint } from "./types";

/** The finite point nearest to a fraction [0, 1] of the points' time span. */
export function pointAt(points: readonly SeriesPoint[], fraction: number): readonly [number, number] | null {
  const finite = points.filter((p): p is readonly [number, number] => p[1] !== null && Number.isFinite(p[1]));
  if (finite.length === 0) return null;
  const t0 = finite[0][0];
  const t1 = finite[finite.length - 1][0];
  const target = t0 + Math.min(1, Math.max(0, fraction)) * (t1 - t0);
  let best = finite[0];
  for (const p of finite) if (Math.abs(p[0] - target) < Math.abs(best[0] - target)) best = p;
  return best;
}

/** A sparkline that shows the value and time under the pointer. */
export function HoverSparkline({ unit, ...props }: SparklineProps & { unit: ValueUnit }) {
  const [hover, setHover] = useState<{ x: number; point: readonly [number, number] } | null>(null);
  const width = props.width ?? 140;
  const onMove = (event: MouseEvent<HTMLElement>) => {
    const box = event.currentTarget.getBoundingClientRect();
    const fraction = (event.clientX - box.left) / Math.max(1, box.width);
    const point = pointAt(props.points, fraction);
    setHover(point ? { x: Math.min(1, Math.max(0, fraction)) * width, point } : null);
  };
  return (
    <figure className="hover-sparkline" aria-label={props.label} onMouseMove={onMove} onMouseLeave={() => setHover(null)} data-testid="sparkline">
      <Sparkline {...props} />
      {hover ? (
        <>
          <span className="hover-sparkline-cursor" style={{ left: `${(100 * hover.x) / width}%` }} aria-hidden="true" />
          <span className="hover-sparkline-value" role="status" data-testid="sparkline-value">
            {formatValue(hover.point[1], unit, "exact")} · {formatTimestamp(hover.point[0])}
          </span>
        </>
      ) : null}
    </figure>
  );
}
