import type { Labels } from "./labels";
import type { RecorderQuery } from "./rule-schema";

/** One element of an instant vector: a label set and its value at the evaluation time. */
export interface InstantSample {
  labels: Labels;
  value: number;
}

/** One label set's instant values at evaluation times: [epoch ms, value], time-ordered. */
export interface InstantSeries {
  labels: Labels;
  points: [number, number][];
}

/** An anomaly window as the anomaly service reports it (open at the asked time). */
export interface AnomalyWindowView {
  seriesKey: string;
  controller: string | null;
  detector: string;
  direction: "above" | "below";
  peakScore: number;
  startAt: number;
}

/** Growth of one kind of async resource (leak suspects, timers, sockets, goroutines…) of one controller. */
export interface LeakTrendView {
  /** The controller, or a scraped target's job (its goroutines and descriptors). */
  controller: string;
  /** Set when several instances of one target job are judged apart. */
  instance?: string;
  /** Resource type, e.g. Timeout, TCPSocketWrap, Goroutine, FileDescriptor, or "suspects" for leak suspects. */
  type: string;
  /** Theil–Sen growth in resources per minute over the trend window. */
  slopePerMinute: number;
  /** The leak trend test (`sustainedGrowth`) says the count is growing now. */
  growing: boolean;
  /** How long the trend test has said so without a break (ms); 0 when it is not growing now. */
  growingForMs: number;
  /** The count at the asked time. */
  current: number;
}

/**
 * What the alert engine needs from the recorder, the anomaly detector and the leak
 * tracker, as four small functions. Every function answers "as of time `at`" (ms since
 * the epoch): the live evaluator passes now, the rule preview passes past times. A
 * source that can only answer for the present may ignore `at`; the preview is then
 * only meaningful for the sources that honour it. Errors reject the promise; the
 * evaluator then keeps the rule's alerts as they were (Prometheus does the same).
 */
export interface RuleDataSources {
  /** The instant vector of `query` at `at` (for rate/increase over `query.rangeMs` ending at `at`). */
  queryInstant(query: RecorderQuery, at: number): Promise<InstantSample[]>;
  /** Anomaly windows open at `at` (started at or before it, not yet ended). */
  openAnomalyWindows(at: number): Promise<AnomalyWindowView[]>;
  /** Current growth trends of leak suspects / active resources per controller and type. */
  leakTrends(at: number): Promise<LeakTrendView[]>;
  /**
   * Milliseconds from the newest sample (at or before `at`) of any series matching
   * `query` to `at`, looking back at most `lookbackMs`; null when there is none.
   */
  lastSampleAge(query: RecorderQuery, at: number, lookbackMs: number): Promise<number | null>;
  /**
   * Optional: the instant vectors of `query` at every step start, start + stepMs, … ≤ end (what
   * `queryInstant` answers at each of those times), one series per label set, read in a few
   * range queries rather than one query per time. The rule preview replays threshold rules at
   * their own interval with it; without it the preview asks `queryInstant` at coarser steps.
   */
  queryInstants?(query: RecorderQuery, start: number, end: number, stepMs: number): Promise<InstantSeries[]>;
}

/** Sources that answer nothing: useful before the other services are up, and in tests. */
export const emptyDataSources: RuleDataSources = {
  queryInstant: async () => [],
  openAnomalyWindows: async () => [],
  leakTrends: async () => [],
  lastSampleAge: async () => null,
};
