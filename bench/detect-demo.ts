/**
 * Detection quality on the demo cluster's injected faults: reads the fault schedule
 * (ground truth) and the anomaly windows from a running Loopscope and scores them.
 * Run the app with the default schedule for its whole length first (about 20 min).
 * Usage: node --import tsx bench/detect-demo.ts [baseUrl]
 */
import { evaluateDetection, type GroundTruthFault } from "../server/anomaly/evaluation";

const base = process.argv[2] ?? "http://127.0.0.1:3000";

async function call<T>(procedure: string, input?: unknown): Promise<T> {
  const query = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  const response = await fetch(`${base}/api/trpc/${procedure}${query}`);
  if (!response.ok) throw new Error(`${procedure}: HTTP ${response.status} ${await response.text()}`);
  return ((await response.json()) as { result: { data: T } }).result.data;
}

/**
 * A fault counts as detected by a window on any watched series of the controller it was
 * injected into (the question an SRE asks is "which controller, since when"); leaks also
 * by the process-wide resource series.
 */
const CONTROLLER_SERIES = ["queue_depth", "adds_rate", "queue_latency_p99", "work_duration_p99", "error_rate", "retries_rate", "active_workers", "unfinished_work"];
const PROCESS_SERIES = ["active_resources", "leak_suspects", 'active_resources{type="Timeout"}', 'active_resources{type="TCPSocketWrap"}'];

function seriesFor(fault: string, controller: string): string[] {
  const own = CONTROLLER_SERIES.map((what) => `${what}{controller=${JSON.stringify(controller)}}`);
  return fault.startsWith("leak-") ? [...own, ...PROCESS_SERIES] : own;
}

interface FaultWindow { id: number; fault: string; controller: string; startAt: number; endAt: number | null; state: string }
interface WindowView { seriesKey: string; start: number; end: number | null; detectedAt?: number; peakScore: number }

const report = await call<{ windows: FaultWindow[] } | null>("runtime.faults");
if (!report) throw new Error("the running source injects no faults (is it the demo cluster?)");
const past = report.windows.filter((w) => w.state === "past" && w.endAt !== null);
const faults: GroundTruthFault[] = past.map((w) => ({ id: String(w.id), kind: w.fault, seriesKeys: seriesFor(w.fault, w.controller), start: w.startAt, end: w.endAt! }));
const from = Math.min(...past.map((w) => w.startAt)) - 60_000;
const windows = await call<WindowView[]>("anomaly.windows", { from, to: Date.now(), limit: 10_000 });
// A window detects a fault when it opens on one of the fault's series between the fault's
// start (less one sample period of slack) and its end plus a minute; a window still open from
// an earlier fault does not count. Stored windows keep their start, not the moment they were
// confirmed, so time-to-detect is measured to the window's start (a lower bound).
const SLACK_MS = 15_000;
const AFTER_MS = 60_000;
const quality = evaluateDetection(
  windows.map((w) => ({ ...w, detectedAt: w.detectedAt ?? w.start })),
  faults.map((f) => ({ ...f })),
  AFTER_MS,
);
const opensIn = (w: WindowView, f: GroundTruthFault) => f.seriesKeys.includes(w.seriesKey) && w.start >= f.start - SLACK_MS && w.start <= f.end + AFTER_MS;
for (const outcome of quality.faults) {
  const hits = windows.filter((w) => opensIn(w, outcome.fault));
  outcome.detected = hits.length > 0;
  outcome.timeToDetectS = hits.length > 0 ? Math.max(0, Math.min(...hits.map((w) => w.start)) - outcome.fault.start) / 1000 : null;
}
quality.truePositiveWindows = windows.filter((w) => faults.some((f) => opensIn(w, f))).length;
quality.recall = faults.length === 0 ? 1 : quality.faults.filter((o) => o.detected).length / faults.length;
quality.precision = windows.length === 0 ? 1 : quality.truePositiveWindows / windows.length;
const ttd = quality.faults.flatMap((o) => (o.timeToDetectS === null ? [] : [o.timeToDetectS])).sort((a, b) => a - b);
quality.medianTimeToDetectS = ttd.length === 0 ? null : ttd[Math.floor((ttd.length - 1) / 2)];
for (const outcome of quality.faults) {
  console.log(`${outcome.fault.kind.padEnd(13)} ${outcome.detected ? `detected after ${outcome.timeToDetectS?.toFixed(0)} s` : "missed"}`);
}
console.log(`windows ${quality.windows}, matching a fault ${quality.truePositiveWindows}`);
console.log(JSON.stringify({ recall: quality.recall, precision: quality.precision, median_time_to_detect_s: quality.medianTimeToDetectS, faults: faults.length, windows: quality.windows, source: "demo" }));
