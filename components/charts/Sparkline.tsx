import { sparklineGeometry } from "./sparkline-path";
import type { SeriesPoint } from "./types";

export interface SparklineProps {
  points: readonly SeriesPoint[];
  /** Accessible description, e.g. "Queue depth, last hour". */
  label: string;
  width?: number;
  height?: number;
  /** Any CSS colour; defaults to the accent colour. */
  color?: string;
  /** Fill under the line. */
  filled?: boolean;
}

/**
 * A tiny line without axes for overview cards. Plain SVG (no chart library, no client JS), so it
 * renders on the server and costs nothing in the overview's bundle.
 */
export function Sparkline({ points, label, width = 140, height = 32, color = "var(--accent)", filled = true }: SparklineProps) {
  const geometry = sparklineGeometry(points, width, height);
  return (
    <svg
      className="sparkline"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={label}
      data-points={points.length}
      preserveAspectRatio="none"
    >
      <title>{label}</title>
      {geometry.line === "" ? (
        <line x1={0} x2={width} y1={height - 1} y2={height - 1} stroke="var(--border)" strokeDasharray="3 3" />
      ) : (
        <>
          {filled ? <path d={geometry.area} fill={color} fillOpacity={0.12} stroke="none" /> : null}
          <path d={geometry.line} fill="none" stroke={color} strokeWidth={1.5} strokeLinejoin="round" strokeLinecap="round" />
          {geometry.last ? <circle cx={geometry.last.x} cy={geometry.last.y} r={2} fill={color} /> : null}
        </>
      )}
    </svg>
  );
}
