/** SVG path data for a sparkline. Pure; no chart library, so the overview stays light. */
import type { SeriesPoint } from "./types";

export interface SparklineGeometry {
  /** The line; "M x y L x y …", restarting with M after every gap. Empty when there is nothing to draw. */
  line: string;
  /** The line closed down to the baseline, for a light fill. */
  area: string;
  /** Position of the last finite point (for an end dot), or null. */
  last: { x: number; y: number } | null;
}

const round = (n: number) => Math.round(n * 10) / 10;

/**
 * Scales points into a width × height box (1 px inset so the stroke is not clipped). The y scale
 * starts at 0 for non-negative data; a flat series is drawn at mid-height.
 */
export function sparklineGeometry(points: readonly SeriesPoint[], width: number, height: number): SparklineGeometry {
  const finite = points.filter((p): p is readonly [number, number] => p[1] !== null && Number.isFinite(p[1]) && Number.isFinite(p[0]));
  if (finite.length === 0) return { line: "", area: "", last: null };
  const t0 = Math.min(...finite.map((p) => p[0]));
  const t1 = Math.max(...finite.map((p) => p[0]));
  const vmin = Math.min(0, ...finite.map((p) => p[1]));
  const vmax = Math.max(...finite.map((p) => p[1]));
  const inset = 1;
  const w = width - 2 * inset;
  const h = height - 2 * inset;
  const x = (t: number) => round(inset + (t1 > t0 ? ((t - t0) / (t1 - t0)) * w : w / 2));
  const y = (v: number) => round(inset + (vmax > vmin ? h - ((v - vmin) / (vmax - vmin)) * h : h / 2));

  const sorted = [...points].sort((a, b) => a[0] - b[0]);
  const segments: string[][] = [];
  let current: string[] = [];
  for (const [t, v] of sorted) {
    if (v === null || !Number.isFinite(v) || !Number.isFinite(t)) {
      if (current.length) segments.push(current);
      current = [];
      continue;
    }
    current.push(`${current.length === 0 ? "M" : "L"}${x(t)} ${y(v)}`);
  }
  if (current.length) segments.push(current);

  const line = segments.map((s) => s.join(" ")).join(" ");
  const base = y(Math.max(vmin, 0));
  const area = segments
    .map((s) => {
      const first = s[0].slice(1).split(" ");
      const last = s[s.length - 1].slice(1).split(" ");
      return `${s.join(" ")} L${last[0]} ${base} L${first[0]} ${base} Z`;
    })
    .join(" ");
  const lp = finite.reduce((a, b) => (b[0] >= a[0] ? b : a));
  return { line, area, last: { x: x(lp[0]), y: y(lp[1]) } };
}
