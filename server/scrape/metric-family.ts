/**
 * The parsed shape of a Prometheus / OpenMetrics exposition: metric families with their
 * samples, exactly as the exporter stated them (raw cumulative values, no rates).
 */

/**
 * The family types of both formats. OpenMetrics `unknown` is reported as `untyped`
 * (its 0.0.4 name); `gaugehistogram`, `info` and `stateset` only come from OpenMetrics.
 */
export type MetricType = "counter" | "gauge" | "histogram" | "gaugehistogram" | "summary" | "info" | "stateset" | "untyped";

/** A label set whose keys are in ascending code-unit order. */
export type Labels = Readonly<Record<string, string>>;

/** An OpenMetrics exemplar attached to a sample (`# {trace_id="…"} 0.043 1.7e9`). */
export interface Exemplar {
  readonly labels: Labels;
  readonly value: number;
  /** Epoch milliseconds, when the exporter gave one. */
  readonly timestampMs?: number;
}

/** One sample line: a series (name + labels) and its value. */
export interface Sample {
  /** The full sample name, e.g. `workqueue_queue_duration_seconds_bucket`. */
  readonly name: string;
  readonly labels: Labels;
  readonly value: number;
  /** Epoch milliseconds when the exporter stamped the sample; otherwise absent (use the scrape time). */
  readonly timestampMs?: number;
  readonly exemplar?: Exemplar;
}

/** A metric family: the HELP/TYPE/UNIT metadata and every sample that belongs to it. */
export interface MetricFamily {
  /** The family name as declared (`foo` for an OpenMetrics counter whose samples are `foo_total`). */
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly unit?: string;
  readonly samples: Sample[];
}

/** The result of parsing one exposition. */
export interface ParsedExposition {
  readonly families: MetricFamily[];
  /** The number of samples over all families. */
  readonly sampleCount: number;
  /** Samples dropped because their series (and timestamp) appeared earlier in the exposition. */
  readonly duplicates: number;
}

/** Which text format an exposition is in. */
export type ExpositionFormat = "text" | "openmetrics";
