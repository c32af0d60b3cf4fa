import type { AnomalyWindow } from "./windows";

/** A known fault (ground truth): when it happened and which series it should show on. */
export interface GroundTruthFault {
  id: string;
  kind: string;
  /** Series on which a window counts as detecting this fault. */
  seriesKeys: string[];
  start: number;
  end: number;
}

export interface FaultOutcome {
  fault: GroundTruthFault;
  detected: boolean;
  /** Seconds from the fault's start to the first matching window's confirmation (≥ 0). */
  timeToDetectS: number | null;
}

export interface DetectionQuality {
  faults: FaultOutcome[];
  windows: number;
  truePositiveWindows: number;
  /** Share of windows that match a fault (1 when there are no windows). */
  precision: number;
  /** Share of faults matched by at least one window (1 when there are no faults). */
  recall: number;
  medianTimeToDetectS: number | null;
}

type Scored = Pick<AnomalyWindow, "seriesKey" | "start" | "end" | "detectedAt">;

/**
 * Compares anomaly windows with ground truth. A window matches a fault when it is on
 * one of the fault's series and overlaps [start, end + graceMs] (metrics lag a fault
 * by their rate window and recover after it). Precision counts windows, recall
 * counts faults, and time to detect runs from the fault's start to when the first
 * matching window was confirmed.
 */
export function evaluateDetection(windows: readonly Scored[], faults: readonly GroundTruthFault[], graceMs = 120_000): DetectionQuality {
  const matches = (w: Scored, f: GroundTruthFault) =>
    f.seriesKeys.includes(w.seriesKey) && w.start <= f.end + graceMs && (w.end ?? Number.POSITIVE_INFINITY) >= f.start;

  const outcomes: FaultOutcome[] = faults.map((fault) => {
    const hits = windows.filter((w) => matches(w, fault));
    if (hits.length === 0) return { fault, detected: false, timeToDetectS: null };
    const first = Math.min(...hits.map((w) => w.detectedAt));
    return { fault, detected: true, timeToDetectS: Math.max(0, first - fault.start) / 1000 };
  });
  const truePositiveWindows = windows.filter((w) => faults.some((f) => matches(w, f))).length;
  const ttd = outcomes.flatMap((o) => (o.timeToDetectS === null ? [] : [o.timeToDetectS]));
  return {
    faults: outcomes,
    windows: windows.length,
    truePositiveWindows,
    precision: windows.length === 0 ? 1 : truePositiveWindows / windows.length,
    recall: faults.length === 0 ? 1 : outcomes.filter((o) => o.detected).length / faults.length,
    medianTimeToDetectS: median(ttd),
  };
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
