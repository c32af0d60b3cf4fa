/**
 * One root cause shown as one incident: a window on a series that another anomalous
 * series explains is marked as explained by it (and alerts and incident counts leave it
 * out) instead of standing as an incident of its own.
 *
 * The one rule so far: Loopscope's own controllers run on its event loop, and their
 * durations are measured in wall time across awaits (timers, I/O), so while the process's
 * event loop lags (its CPU starved, a blocking task) every reconcile, queue wait and
 * work item of those controllers takes longer by that lag. A duration window of an
 * in-process controller that began while the process's event-loop lag was anomalous is
 * that lag, not a second incident. A controller measured elsewhere (a scraped operator)
 * is never explained by Loopscope's own lag.
 */

/** The interval of a window the rule needs. */
export interface WindowSpan {
  seriesKey: string;
  start: number;
  /** Null while open. */
  end: number | null;
  /** When the detector confirmed it. */
  detectedAt: number;
  direction: "above" | "below";
}

/**
 * How far a duration's departure may begin outside its cause's window and still be that
 * cause: the durations are read over windows of up to a minute (a 30 s mean, 1 min
 * quantiles), so a lag shows in them up to that much after it began and stays up to that
 * much after it ended; half of it either side of the lag window keeps a departure that
 * began well apart from the lag its own incident.
 */
export const EXPLANATION_TOLERANCE_MS = 30_000;

/**
 * The cause window (of `causes`, an upward departure) that explains `window`, if any: the
 * window's departure began within the cause's window (widened by `toleranceMs` either
 * side), and the cause was confirmed while the window was still open (so a live pass could
 * know it). `window` must be on a series the cause can explain; the caller says which.
 */
export function explainingCause<C extends WindowSpan>(window: WindowSpan, causes: readonly C[], toleranceMs = EXPLANATION_TOLERANCE_MS): C | null {
  if (window.direction !== "above") return null;
  for (const cause of causes) {
    if (cause.direction !== "above") continue;
    const causeEnd = cause.end ?? Number.POSITIVE_INFINITY;
    const beganDuringCause = window.start >= cause.start - toleranceMs && window.start <= causeEnd + toleranceMs;
    const knownWhileOpen = cause.detectedAt <= (window.end ?? Number.POSITIVE_INFINITY);
    if (beganDuringCause && knownWhileOpen) return cause;
  }
  return null;
}

/**
 * Marks each explainable window of `windows` with the key of the cause series that
 * explains it (see explainingCause); windows of the cause series and those `explainable`
 * refuses stay unexplained. Returns the windows in their order, each with `explainedBy`.
 */
export function explainWindows<W extends WindowSpan>(
  windows: readonly W[],
  causeKey: string,
  explainable: (seriesKey: string) => boolean,
  toleranceMs = EXPLANATION_TOLERANCE_MS,
): Array<W & { explainedBy: string | null }> {
  const causes = windows.filter((w) => w.seriesKey === causeKey);
  return windows.map((w) => {
    const explained = w.seriesKey !== causeKey && explainable(w.seriesKey) && explainingCause(w, causes, toleranceMs) !== null;
    return { ...w, explainedBy: explained ? causeKey : null };
  });
}
