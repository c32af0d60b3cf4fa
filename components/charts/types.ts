/** Plain data shapes the chart components take. Timestamps are epoch milliseconds. */
import type { ValueUnit } from "../format/units";

export type { ValueUnit } from "../format/units";

/** A closed time interval [from, to] in epoch ms. */
export interface TimeRange {
  from: number;
  to: number;
}

/** One sample: [timestamp ms, value]. `null` marks a known gap. */
export type SeriesPoint = readonly [number, number | null];

export interface ChartSeries {
  name: string;
  points: readonly SeriesPoint[];
  /** Any CSS colour, e.g. "var(--bad)"; defaults to the series palette. */
  color?: string;
}

/** The detector's expected range: [timestamp ms, lower, upper]. */
export type BandPoint = readonly [number, number, number];

export interface ExpectedBand {
  points: readonly BandPoint[];
}

/** A time range in which a watched series was anomalous; `end` is null while it is open. */
export interface AnomalyWindowView {
  start: number;
  end: number | null;
  /** Detector score in [0, 1] at the window's peak. */
  peakScore: number;
  direction: "above" | "below";
  /** The series whose window explains this one (one root cause: shown, not an incident of its own). */
  explainedBy?: string | null;
}

export type AlertAnnotationState = "firing" | "pending" | "resolved";

/** An alert's pending or firing span (or a single transition when start === end). */
export interface AlertAnnotationView {
  start: number;
  end: number | null;
  label: string;
  state: AlertAnnotationState;
  /** The alert's detail page. */
  href?: string;
}

export type ChartUnit = ValueUnit;
