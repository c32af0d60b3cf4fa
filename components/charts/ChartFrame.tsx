import type { ReactNode } from "react";
import { slugify } from "./series-data";

export type ChartState = "ready" | "loading" | "empty" | "error";

export interface ChartFrameProps {
  title: string;
  /** Short unit caption shown next to the title, e.g. "seconds". */
  caption?: string;
  state: ChartState;
  height: number;
  error?: string | null;
  /** Legend or toolbar rendered under the title. */
  legend?: ReactNode;
  /** Shown under the plot (e.g. the alerts in the range, with their full names). */
  footer?: ReactNode;
  children?: ReactNode;
}

/**
 * The box every chart sits in: title, legend, and the loading / empty / error states. Contains no
 * recharts code, so pages can use it (or ChartSkeleton) as the placeholder while a chart loads.
 * The container carries `data-testid="chart-<slug of title>"` and `data-state`.
 */
export function ChartFrame({ title, caption, state, height, error, legend, footer, children }: ChartFrameProps) {
  return (
    <section className="chart-panel" data-testid={`chart-${slugify(title)}`} data-state={state} aria-label={title}>
      <header className="chart-header">
        <h3 className="chart-title">
          {title}
          {caption ? <span className="chart-caption"> {caption}</span> : null}
        </h3>
        {state === "ready" ? legend : null}
      </header>
      {state === "loading" ? (
        <div className="chart-skeleton" style={{ height }} role="status" aria-busy="true">
          <span className="visually-hidden">Loading {title}…</span>
        </div>
      ) : state === "error" ? (
        <div className="chart-message error" style={{ height }} role="alert">
          Could not load this chart: {error ?? "unknown error"}
        </div>
      ) : state === "empty" ? (
        <div className="chart-message muted" style={{ height }}>
          No data in this range
        </div>
      ) : (
        <div className="chart-body" style={{ height }}>
          {children}
        </div>
      )}
      {state === "ready" ? footer : null}
    </section>
  );
}

/** A chart-shaped loading placeholder (e.g. for `next/dynamic`'s `loading`). */
export function ChartSkeleton({ title, height = 220 }: { title: string; height?: number }) {
  return <ChartFrame title={title} state="loading" height={height} />;
}
