import { z } from "zod";
import {
  AnomalyDetector,
  DEFAULT_DETECTOR_OPTIONS,
  DETECTOR_NAME,
  type DetectorOptions,
  type DetectorParams,
  detectorStateSchema,
  type PointCounts,
  type ScoredPoint,
} from "./detector";
import { thresholdsFor } from "./sensitivity";
import { type AnomalyWindow, DEFAULT_WINDOW_RULES, type WindowEvent, type WindowRules, WindowTracker, type WindowTrackerState } from "./windows";

const windowSchema = z.object({
  seq: z.number().int(),
  seriesKey: z.string(),
  detector: z.string(),
  params: z.record(z.string(), z.unknown()),
  start: z.number(),
  end: z.number().nullable(),
  detectedAt: z.number(),
  peakScore: z.number(),
  direction: z.enum(["above", "below"]),
});

const trackerStateSchema = z.object({
  seq: z.number().int(),
  pending: z.object({ start: z.number(), points: z.number().int(), evidence: z.number().optional(), peakScore: z.number(), direction: z.enum(["above", "below"]) }).nullable(),
  open: windowSchema.nullable(),
  lastHighTs: z.number().nullable(),
  normals: z.number().int(),
  recent: windowSchema.nullable(),
});

export const monitorStateSchema = z.object({ detector: detectorStateSchema, windows: trackerStateSchema });

/** Everything a monitor has learned, as plain JSON (watched_series.state). */
export interface MonitorState {
  detector: z.infer<typeof detectorStateSchema>;
  windows: WindowTrackerState;
}

export interface MonitorStep {
  point: ScoredPoint;
  events: WindowEvent[];
}

/**
 * Detection for one series: the streaming detector plus the window tracker, with the
 * series' sensitivity. This is the one code path used by live detection, the backtest
 * CLI and band replays, so all three agree point for point.
 */
export class SeriesMonitor {
  private readonly detector: AnomalyDetector;
  private readonly tracker: WindowTracker;
  options: DetectorOptions;
  private readonly windowRules: Omit<WindowRules, "openScore" | "stayScore">;
  private cachedRules: { sensitivity: string; rules: WindowRules; countRules: WindowRules } | null = null;

  constructor(
    readonly seriesKey: string,
    options: Partial<DetectorOptions> = {},
    init: { params?: Partial<DetectorParams>; state?: MonitorState; windowRules?: Partial<WindowRules> } = {},
  ) {
    this.options = { ...DEFAULT_DETECTOR_OPTIONS, ...options };
    this.windowRules = { ...DEFAULT_WINDOW_RULES, ...init.windowRules };
    this.detector = init.state ? new AnomalyDetector({}, init.state.detector) : new AnomalyDetector(init.params);
    this.tracker = new WindowTracker(seriesKey, DETECTOR_NAME, init.state?.windows);
  }

  /** Restores a monitor from stored JSON; throws a descriptive error when it is malformed. */
  static fromState(seriesKey: string, json: unknown, options: Partial<DetectorOptions> = {}): SeriesMonitor {
    const parsed = monitorStateSchema.safeParse(json);
    if (!parsed.success) {
      throw new Error(`invalid anomaly state for ${seriesKey}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    }
    return new SeriesMonitor(seriesKey, options, { state: parsed.data });
  }

  get lastTimestamp(): number | null {
    return this.detector.lastTimestamp;
  }

  get openWindow(): AnomalyWindow | null {
    return this.tracker.openWindow;
  }

  /**
   * The score thresholds and window rules in force for the current sensitivity; for a
   * point judged by its counts (a ratio with the events of its window), a window opens on
   * the first point at the open score: that point's test already weighs every event of its
   * window, and the next points share those events, so waiting for them adds time, not
   * evidence (the open score is the same improbability).
   */
  rules(counted = false): WindowRules {
    const sensitivity = this.options.sensitivity;
    if (this.cachedRules?.sensitivity !== sensitivity) {
      const t = thresholdsFor(sensitivity);
      const rules = { ...this.windowRules, openScore: t.score, stayScore: t.stayScore };
      this.cachedRules = { sensitivity, rules, countRules: { ...rules, minPoints: 1, minDurationMs: 0 } };
    }
    return counted ? this.cachedRules.countRules : this.cachedRules.rules;
  }

  /** What is recorded with each window: enough to explain and reproduce it. */
  windowParams(counted = false): Record<string, unknown> {
    const p = this.detector.params;
    const rules = this.rules(counted);
    return {
      sensitivity: this.options.sensitivity,
      direction: this.options.direction,
      probability: thresholdsFor(this.options.sensitivity).probability,
      openScore: round(rules.openScore),
      stayScore: round(rules.stayScore),
      minPoints: rules.minPoints,
      minDurationMs: rules.minDurationMs,
      minStrongPoints: rules.minStrongPoints,
      coolDownMs: rules.coolDownMs,
      mergeGapMs: rules.mergeGapMs,
      windowPoints: p.windowPoints,
      adaptAfterMs: p.adaptAfterMs,
      seasonality: this.detector.seasonality,
    };
  }

  /** Scores the next point (timestamps must increase) and advances the windows; `counts` for a series judged by its counts (see AnomalyDetector.step). */
  step(ts: number, value: number, counts?: PointCounts): MonitorStep {
    const before = this.detector.lastValueTimestamp;
    const events: WindowEvent[] = [];
    if (before !== null && Number.isFinite(value) && this.detector.isGap(ts - before)) events.push(...this.tracker.interrupt());
    const point = this.detector.step(ts, value, this.options, counts);
    const counted = counts !== undefined && counts.trials > 0 && Number.isFinite(counts.trials);
    if (Number.isFinite(value)) events.push(...this.tracker.step(ts, point.score, point.direction, this.rules(counted), () => this.windowParams(counted), point.sustainedSince));
    return { point, events };
  }

  toState(): MonitorState {
    return { detector: this.detector.toState(), windows: this.tracker.toState() };
  }
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** The result of running detection over a whole series. */
export interface SeriesAnalysis {
  points: ScoredPoint[];
  /** Every window, in start order, as it stands after the last point (open ones have end null). */
  windows: AnomalyWindow[];
}

/**
 * Runs detection over points in time order, exactly as live detection would have seen
 * them one at a time. Points must have strictly increasing timestamps.
 */
export function analyzeSeries(
  points: Iterable<readonly [number, number] | readonly [number, number, number, number]>,
  options: Partial<DetectorOptions> = {},
  init: { seriesKey?: string; params?: Partial<DetectorParams>; windowRules?: Partial<WindowRules> } = {},
): SeriesAnalysis {
  const monitor = new SeriesMonitor(init.seriesKey ?? "series", options, init);
  const scored: ScoredPoint[] = [];
  const windows = new Map<number, AnomalyWindow>();
  for (const [ts, value, trials, share] of points) {
    const { point, events } = monitor.step(ts, value, trials === undefined ? undefined : { trials, share: share ?? 1 });
    scored.push(point);
    for (const e of events) windows.set(e.window.seq, e.window);
  }
  return { points: scored, windows: [...windows.values()].sort((a, b) => a.start - b.start) };
}
