import { MAX_STORABLE_MS, MIN_STORABLE_MS } from "../time/epoch-ms";

/**
 * What a recorded sample may look like, checked at the edge before it is buffered (so one
 * hostile exporter can neither stop the writer nor fill memory). Like Prometheus's
 * `label_limit`, `label_name_length_limit` and `label_value_length_limit`, plus a window of
 * accepted timestamps around now (Prometheus refuses samples out of its head's bounds).
 * A limit of 0 turns that check off. Pure: no I/O.
 */
export interface SampleLimits {
  /** Samples older than now − maxAgeMs are refused (LOOPSCOPE_SAMPLE_MAX_AGE). */
  readonly maxAgeMs: number;
  /** Samples newer than now + maxFutureMs are refused (LOOPSCOPE_SAMPLE_MAX_FUTURE). */
  readonly maxFutureMs: number;
  /** Labels per series at most (LOOPSCOPE_LABEL_LIMIT). */
  readonly maxLabels: number;
  /** Characters in a label name or the metric name at most (LOOPSCOPE_LABEL_NAME_LENGTH_LIMIT). */
  readonly maxNameLength: number;
  /** Characters in a label value at most (LOOPSCOPE_LABEL_VALUE_LENGTH_LIMIT). */
  readonly maxValueLength: number;
}

export const DEFAULT_SAMPLE_LIMITS: SampleLimits = Object.freeze({
  maxAgeMs: 24 * 3_600_000,
  maxFutureMs: 10 * 60_000,
  maxLabels: 64,
  maxNameLength: 256,
  maxValueLength: 4_096,
});

/** Why samples were refused, as counted per source (a closed set, so it can be a metric label). */
export type RejectionReason =
  | "timestamp"
  | "label_limit"
  | "label_name_length"
  | "label_value_length"
  | "label_value_invalid"
  /** A pushed series without a metric name, or with an invalid or repeated label name (remote write). */
  | "label_name_invalid"
  /** A pushed sample older than its series' latest (Prometheus's out-of-order sample). */
  | "out_of_order"
  /** A pushed sample at a stored timestamp with another value (Prometheus's duplicate sample for timestamp). */
  | "duplicate_timestamp"
  | "write_rejected";

export interface Rejection {
  reason: RejectionReason;
  /** One sentence saying what was wrong (never the whole hostile value). */
  message: string;
}


function excerpt(text: string): string {
  return text.length > 40 ? `${JSON.stringify(text.slice(0, 40))}…` : JSON.stringify(text);
}

/**
 * The timestamps (epoch ms) accepted at `now`, as an inclusive range: a sample inside it
 * needs no further check; for one outside, timestampRejection says why it is refused.
 */
export function acceptedTimestamps(now: number, limits: SampleLimits): { from: number; to: number } {
  return {
    from: Math.max(MIN_STORABLE_MS, limits.maxAgeMs > 0 ? now - limits.maxAgeMs : MIN_STORABLE_MS),
    to: Math.min(MAX_STORABLE_MS, limits.maxFutureMs > 0 ? now + limits.maxFutureMs : MAX_STORABLE_MS),
  };
}

/** Why a sample timestamp (epoch ms) is refused at `now`, or undefined when it is accepted. */
export function timestampRejection(ts: number, now: number, limits: SampleLimits): Rejection | undefined {
  const outside = (why: string): Rejection => ({ reason: "timestamp", message: `sample timestamp ${describeTs(ts)} is ${why}` });
  if (!Number.isFinite(ts) || ts > MAX_STORABLE_MS || ts < MIN_STORABLE_MS) return outside("outside the years 1–9999");
  if (limits.maxAgeMs > 0 && ts < now - limits.maxAgeMs) return outside(`more than ${Math.round(limits.maxAgeMs / 1000)} s in the past`);
  if (limits.maxFutureMs > 0 && ts > now + limits.maxFutureMs) return outside(`more than ${Math.round(limits.maxFutureMs / 1000)} s in the future`);
  return undefined;
}

function describeTs(ts: number): string {
  if (!Number.isFinite(ts)) return String(ts);
  const date = new Date(ts);
  return Number.isNaN(date.getTime()) ? `${ts} ms` : `${date.toISOString()} (${ts} ms)`;
}

/** Why a series (metric name + labels) is refused, or undefined when it is within the limits. */
export function seriesRejection(metric: string, labels: Readonly<Record<string, string>>, limits: SampleLimits): Rejection | undefined {
  if (limits.maxNameLength > 0 && metric.length > limits.maxNameLength) {
    return { reason: "label_name_length", message: `metric name ${excerpt(metric)} is longer than ${limits.maxNameLength} characters` };
  }
  let count = 0;
  for (const name in labels) {
    count += 1;
    if (limits.maxLabels > 0 && count > limits.maxLabels) {
      return { reason: "label_limit", message: `series ${excerpt(metric)} has more than ${limits.maxLabels} labels` };
    }
    if (limits.maxNameLength > 0 && name.length > limits.maxNameLength) {
      return { reason: "label_name_length", message: `label name ${excerpt(name)} of ${excerpt(metric)} is longer than ${limits.maxNameLength} characters` };
    }
    const value = labels[name];
    if (limits.maxValueLength > 0 && value.length > limits.maxValueLength) {
      return {
        reason: "label_value_length",
        message: `label ${name} of ${excerpt(metric)} has a value of ${value.length} characters, more than ${limits.maxValueLength}`,
      };
    }
    // PostgreSQL text cannot hold NUL: refused here rather than by the database on every write.
    if (value.includes("\u0000")) return { reason: "label_value_invalid", message: `label ${name} of ${excerpt(metric)} has a NUL character in its value` };
  }
  return undefined;
}

/** The limits of the configuration (every one of them can be 0 = off, see the README). */
export function sampleLimitsFromConfig(config: {
  LOOPSCOPE_SAMPLE_MAX_AGE: number;
  LOOPSCOPE_SAMPLE_MAX_FUTURE: number;
  LOOPSCOPE_LABEL_LIMIT: number;
  LOOPSCOPE_LABEL_NAME_LENGTH_LIMIT: number;
  LOOPSCOPE_LABEL_VALUE_LENGTH_LIMIT: number;
}): SampleLimits {
  return {
    maxAgeMs: config.LOOPSCOPE_SAMPLE_MAX_AGE,
    maxFutureMs: config.LOOPSCOPE_SAMPLE_MAX_FUTURE,
    maxLabels: config.LOOPSCOPE_LABEL_LIMIT,
    maxNameLength: config.LOOPSCOPE_LABEL_NAME_LENGTH_LIMIT,
    maxValueLength: config.LOOPSCOPE_LABEL_VALUE_LENGTH_LIMIT,
  };
}
