import type { DetectorOptions, DetectorParams } from "./detector";
import { type MonitorState, SeriesMonitor } from "./monitor";
import { ReportShaper } from "./report-shaping";
import type { AnomalyWindow } from "./windows";

/** One row of a file to score, in file order. */
export interface BacktestRow {
  ts: number;
  /** NaN for a missing value. */
  value: number;
}

export interface BacktestResult {
  /** One score per input row, in input order: the point's novelty (see ScoredPoint), shaped into reports (see ReportShaper). */
  scores: number[];
  /** The live score of each row (what windows and alerts use). */
  liveScores: number[];
  /** Rows whose timestamp equals the previous row's: the last one's value is kept. */
  repeated: number;
  /** Rows whose timestamp is before the previous kept row's: skipped (score 0). */
  outOfOrder: number;
  windows: AnomalyWindow[];
}

/**
 * Scores a whole file as live detection would have seen it, one row at a time (row i
 * only uses rows ≤ i), tolerating what real exports contain: a row that repeats the
 * previous timestamp (a daylight-saving hour, a re-sent sample) replaces that sample —
 * the detector is rewound to before it and fed the new value, so the last value is what
 * is learnt — and a row that steps back in time is skipped. Both are counted.
 */
export function backtestRows(
  rows: readonly BacktestRow[],
  options: Partial<DetectorOptions> = {},
  init: { seriesKey?: string; params?: Partial<DetectorParams> } = {},
): BacktestResult {
  const key = init.seriesKey ?? "series";
  let monitor = new SeriesMonitor(key, options, { params: init.params });
  let shaper = new ReportShaper();
  let shaperBeforeLast: ReportShaper | null = null;
  const scores: number[] = [];
  const liveScores: number[] = [];
  const windows = new Map<number, AnomalyWindow>();
  let repeated = 0;
  let outOfOrder = 0;
  let lastTs = Number.NEGATIVE_INFINITY;
  /** The monitor as it was before the sample at lastTs (kept only when a repeat follows). */
  let beforeLast: MonitorState | null = null;
  for (let i = 0; i < rows.length; i += 1) {
    const { ts, value } = rows[i];
    if (ts < lastTs) {
      outOfOrder += 1;
      scores.push(0);
      liveScores.push(0);
      continue;
    }
    if (ts === lastTs) {
      repeated += 1;
      if (beforeLast) monitor = SeriesMonitor.fromState(key, beforeLast, options);
      if (shaperBeforeLast) shaper = shaperBeforeLast.copy();
    } else {
      // Only the timestamps of the next rows are looked at, to know whether to keep a rewind point.
      const rewind = repeatsLater(rows, i);
      beforeLast = rewind ? monitor.toState() : null;
      shaperBeforeLast = rewind ? shaper.copy() : null;
    }
    const { point, events } = monitor.step(ts, value);
    lastTs = ts;
    scores.push(shaper.next(point.novelty));
    liveScores.push(point.score);
    for (const e of events) windows.set(e.window.seq, e.window);
  }
  return { scores, liveScores, repeated, outOfOrder, windows: [...windows.values()].sort((a, b) => a.start - b.start) };
}

/** Whether the next row that is not out of order repeats row i's timestamp. */
function repeatsLater(rows: readonly BacktestRow[], i: number): boolean {
  const ts = rows[i].ts;
  for (let j = i + 1; j < rows.length; j += 1) {
    if (rows[j].ts === ts) return true;
    if (rows[j].ts > ts) return false;
  }
  return false;
}
