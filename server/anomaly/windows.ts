import type { Direction } from "./detector";

/** How scores turn into windows. */
export interface WindowRules {
  /** Score at which a point counts towards opening a window. */
  openScore: number;
  /** Score above which a point keeps a pending or open window going (hysteresis, ≤ openScore). */
  stayScore: number;
  /** Points at or above `openScore`, with none below `stayScore` between them, needed to open a window… */
  minPoints: number;
  /** …spanning at least this long. */
  minDurationMs: number;
  /**
   * Fewer points open a window when their evidence adds up to as much: scores are
   * −log10(P) / 10, so their sum is the evidence of the points together, and this many
   * points (at least 2, over at least `minDurationMs / minPoints` per point after the first)
   * whose scores sum to `minPoints × openScore` are as improbable as `minPoints` points at
   * the open score (a tenfold slower reconcile is news at its second point).
   */
  minStrongPoints: number;
  /** An open window closes after this long without a high score… */
  coolDownMs: number;
  /** …and at least this many normal points. */
  coolDownPoints: number;
  /** A new window starting this soon after the previous one ended extends it instead. */
  mergeGapMs: number;
}

export const DEFAULT_WINDOW_RULES: Omit<WindowRules, "openScore" | "stayScore"> = {
  minPoints: 3,
  minDurationMs: 10_000,
  minStrongPoints: 2,
  coolDownMs: 60_000,
  coolDownPoints: 3,
  mergeGapMs: 120_000,
};

/** A time range in which a series was anomalous (end null while it is still open). */
export interface AnomalyWindow {
  /** Sequence number within the tracker (stable across merges and restarts); stores key windows by series and start. */
  seq: number;
  seriesKey: string;
  detector: string;
  params: Record<string, unknown>;
  start: number;
  end: number | null;
  /** When the window was confirmed (the point that completed `minPoints`/`minDurationMs`). */
  detectedAt: number;
  peakScore: number;
  /** Direction of the peak point. */
  direction: Direction;
}

export type WindowEvent =
  | { kind: "opened"; window: AnomalyWindow }
  | { kind: "reopened"; window: AnomalyWindow }
  | { kind: "peak"; window: AnomalyWindow }
  | { kind: "closed"; window: AnomalyWindow };

interface Pending {
  start: number;
  points: number;
  /** Sum of the scores of the points at or above the open score (absent in states stored before it: no early opening). */
  evidence?: number;
  peakScore: number;
  direction: Direction;
}

export interface WindowTrackerState {
  seq: number;
  pending: Pending | null;
  open: AnomalyWindow | null;
  /** Last high point of the open window, and normal points seen since. */
  lastHighTs: number | null;
  normals: number;
  /** The most recently closed window, kept while a new one could still merge into it. */
  recent: AnomalyWindow | null;
}

export function emptyWindowTrackerState(): WindowTrackerState {
  return { seq: 0, pending: null, open: null, lastHighTs: null, normals: 0, recent: null };
}

/** Whether a pending run has shown enough to open a window: `minPoints` over `minDurationMs`, or fewer whose evidence adds up to as much. */
function confirmed(p: Pending, ts: number, rules: WindowRules): boolean {
  if (p.points >= rules.minPoints && ts - p.start >= rules.minDurationMs) return true;
  const strong = Math.max(2, rules.minStrongPoints);
  if (p.evidence === undefined || strong >= rules.minPoints || p.points < strong) return false;
  const span = ((strong - 1) * rules.minDurationMs) / Math.max(1, rules.minPoints - 1);
  return ts - p.start >= span && p.evidence >= rules.minPoints * rules.openScore;
}

/**
 * Turns a stream of scored points of one series into anomaly windows: a window opens
 * once `minPoints` points score at least `openScore` over at least `minDurationMs`
 * with no point below `stayScore` in between (its start is the first high point), stays open while scores stay above `stayScore`, and closes
 * after a cool-down of normal points (its end is the last high point). A window that
 * would start within `mergeGapMs` of the previous one's end reopens that one instead.
 * The state is plain JSON.
 */
export class WindowTracker {
  private state: WindowTrackerState;

  constructor(
    readonly seriesKey: string,
    readonly detector: string,
    state: WindowTrackerState = emptyWindowTrackerState(),
  ) {
    this.state = structuredClone(state);
  }

  /** The window open right now, if any. */
  get openWindow(): AnomalyWindow | null {
    return this.state.open;
  }

  /** Feeds one scored point; returns what changed. `params()` is recorded on new windows; `sustainedSince` (a score resting on a sustained departure) dates the window from then. */
  step(ts: number, score: number, direction: Direction, rules: WindowRules, params: () => Record<string, unknown>, sustainedSince?: number): WindowEvent[] {
    const s = this.state;
    if (s.recent && !s.pending && s.recent.end !== null && ts - s.recent.end > rules.mergeGapMs) s.recent = null;
    if (s.open) return this.stepOpen(ts, score, direction, rules);

    const stays = score >= rules.stayScore;
    if (!s.pending) {
      if (score < rules.openScore) return [];
      // A score resting on a sustained departure has already seen its points since then.
      s.pending =
        sustainedSince !== undefined && sustainedSince < ts
          ? { start: sustainedSince, points: rules.minPoints, evidence: rules.minPoints * score, peakScore: score, direction }
          : { start: ts, points: 1, evidence: score, peakScore: score, direction };
    } else if (stays) {
      if (score >= rules.openScore) {
        s.pending.points += 1;
        if (s.pending.evidence !== undefined) s.pending.evidence += score;
      }
      if (score > s.pending.peakScore) {
        s.pending.peakScore = score;
        s.pending.direction = direction;
      }
    } else {
      s.pending = null;
      return [];
    }
    const p = s.pending;
    if (!confirmed(p, ts, rules)) return [];

    s.pending = null;
    s.lastHighTs = ts;
    s.normals = 0;
    if (s.recent && s.recent.end !== null && p.start - s.recent.end <= rules.mergeGapMs) {
      const merged = s.recent;
      merged.end = null;
      if (p.peakScore > merged.peakScore) {
        merged.peakScore = p.peakScore;
        merged.direction = p.direction;
      }
      s.recent = null;
      s.open = merged;
      return [{ kind: "reopened", window: { ...merged } }];
    }
    s.seq += 1;
    const window: AnomalyWindow = {
      seq: s.seq,
      seriesKey: this.seriesKey,
      detector: this.detector,
      params: params(),
      start: p.start,
      end: null,
      detectedAt: ts,
      peakScore: p.peakScore,
      direction: p.direction,
    };
    s.open = window;
    return [{ kind: "opened", window: { ...window } }];
  }

  private stepOpen(ts: number, score: number, direction: Direction, rules: WindowRules): WindowEvent[] {
    const s = this.state;
    const open = s.open!;
    if (score >= rules.stayScore) {
      s.lastHighTs = ts;
      s.normals = 0;
      if (score > open.peakScore) {
        open.peakScore = score;
        open.direction = direction;
        return [{ kind: "peak", window: { ...open } }];
      }
      return [];
    }
    s.normals += 1;
    const lastHigh = s.lastHighTs ?? open.start;
    if (ts - lastHigh >= rules.coolDownMs && s.normals >= rules.coolDownPoints) return this.closeAt(lastHigh);
    return [];
  }

  /** Closes the open window at its last high point (used after a long gap in the data). */
  interrupt(): WindowEvent[] {
    this.state.pending = null;
    if (!this.state.open) return [];
    return this.closeAt(this.state.lastHighTs ?? this.state.open.start);
  }

  private closeAt(end: number): WindowEvent[] {
    const s = this.state;
    const open = s.open!;
    open.end = end;
    s.open = null;
    s.lastHighTs = null;
    s.normals = 0;
    s.recent = open;
    return [{ kind: "closed", window: { ...open } }];
  }

  toState(): WindowTrackerState {
    return structuredClone(this.state);
  }
}
