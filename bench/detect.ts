/**
 * Anomaly detection benchmark on the development corpus (README "Anomaly detection"):
 * the real recording in bench/data/ (exporters and programs on this machine with
 * injected, labelled faults), the synthetic series of bench/data/synthetic-corpus.ts and
 * the operational ones of bench/data/operational-corpus.ts (5-minute to hourly production-
 * like metrics, labelled where each anomaly begins, as window-scored benchmarks are),
 * scored at ONE corpus-wide threshold — NAB-style window score (standard profile) with
 * the threshold NAB's optimiser would pick, and at the detector's fixed default (0.5) —
 * and with event-level precision, recall and time to detect. Side by side: a trailing
 * robust z-score (median and MAD of the previous 100 points), given its own best
 * corpus-wide threshold. Also times the CLI: start-up and a 22,000-row file.
 *
 *   node --import tsx bench/detect.ts [--only recorded|synthetic|operational] [--verbose]
 *
 * The last line is one JSON object.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { backtestRows } from "../server/anomaly/backtest";
import { bestThreshold, corpusWindowScore, type EventQuality, eventQuality, type ScoredSeries, windowScore } from "../server/anomaly/window-scoring";
import { loadRecordedCorpus } from "./data/corpus";
import { operationalCorpus } from "./data/operational-corpus";
import { type LabelledSeries, syntheticCorpus } from "./data/synthetic-corpus";

const args = process.argv.slice(2);
const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : undefined;
const verbose = args.includes("--verbose");
const DEFAULT_THRESHOLD = 0.5;
const BASELINE_WINDOW = 100;

/** The rows a streaming scorer keeps: increasing timestamps, the last of a repeated one. */
function kept(rows: LabelledSeries["rows"], scores: readonly number[]): { ts: number[]; scores: number[] } {
  const ts: number[] = [];
  const out: number[] = [];
  for (let i = 0; i < rows.length; i += 1) {
    const last = ts[ts.length - 1];
    if (last !== undefined && rows[i].ts < last) continue;
    if (last === rows[i].ts) {
      out[out.length - 1] = scores[i];
      continue;
    }
    ts.push(rows[i].ts);
    out.push(Number.isFinite(rows[i].value) ? scores[i] : 0);
  }
  return { ts, scores: out };
}

function detectorScores(s: LabelledSeries): number[] {
  return backtestRows(s.rows, {}, { seriesKey: s.name }).scores;
}

/** Baseline: |x − median| / (1.4826·MAD) over the previous BASELINE_WINDOW finite values (mean absolute deviation where MAD is 0). */
function robustZScores(s: LabelledSeries): number[] {
  const recent: number[] = [];
  let lastTs = Number.NEGATIVE_INFINITY;
  return s.rows.map(({ ts, value }) => {
    if (ts <= lastTs || !Number.isFinite(value)) return 0;
    lastTs = ts;
    let z = 0;
    if (recent.length >= 20) {
      const sorted = [...recent].sort((a, b) => a - b);
      const median = sorted[sorted.length >> 1];
      const dev = recent.map((x) => Math.abs(x - median)).sort((a, b) => a - b);
      const mad = 1.4826 * dev[dev.length >> 1];
      // MAD is 0 on flat and quantised series: fall back on the mean absolute deviation.
      const meanAbs = (1.2533 * dev.reduce((x, y) => x + y, 0)) / dev.length;
      z = Math.abs(value - median) / Math.max(mad, meanAbs, 1e-9 * (Math.abs(median) + 1));
    }
    recent.push(value);
    if (recent.length > BASELINE_WINDOW) recent.shift();
    return Math.min(z, 1e12);
  });
}

function medianStep(ts: readonly number[]): number {
  const steps = ts.slice(1).map((t, i) => t - ts[i]).sort((a, b) => a - b);
  return steps[steps.length >> 1] ?? 1_000;
}

interface Evaluation {
  threshold: number;
  windowScore: number;
  windowScoreAtDefault: number | null;
  quality: EventQuality;
}

function evaluate(corpus: ScoredSeries[], fixed: number | null): Evaluation {
  const best = bestThreshold(corpus);
  const step = new Map(corpus.map((s) => [s, medianStep(s.ts)]));
  const quality = eventQuality(
    corpus,
    fixed ?? best.threshold,
    (s) => Math.max(10_000, 2 * (step.get(s) ?? 0)),
    (s) => 3 * (step.get(s) ?? 0),
  );
  return { threshold: fixed ?? best.threshold, windowScore: best.score, windowScoreAtDefault: fixed === null ? null : corpusWindowScore(corpus, fixed), quality };
}

const corpus: LabelledSeries[] = [];
let recordedNote = "no recording";
if (only === undefined || only === "recorded") {
  try {
    const { series, labels } = loadRecordedCorpus();
    corpus.push(...series);
    recordedNote = `${series.length} recorded series, ${labels.faults.length} faults, ${labels.recorded.start} → ${labels.recorded.end}`;
  } catch (error) {
    recordedNote = `recording not loaded: ${(error as Error).message}`;
  }
}
if (only === undefined || only === "synthetic") corpus.push(...syntheticCorpus());
if (only === undefined || only === "operational") corpus.push(...operationalCorpus());

const started = performance.now();
const scored = corpus.map((s) => {
  const d = kept(s.rows, detectorScores(s));
  const b = kept(s.rows, robustZScores(s));
  return {
    detector: { name: s.name, ts: d.ts, scores: d.scores, anomalies: s.anomalies } satisfies ScoredSeries,
    baseline: { name: s.name, ts: b.ts, scores: b.scores, anomalies: s.anomalies } satisfies ScoredSeries,
  };
});
const elapsed = performance.now() - started;
const rows = corpus.reduce((n, s) => n + s.rows.length, 0);

const groups: [string, (name: string) => boolean][] = [
  ["all", () => true],
  ["recorded", (n) => n.startsWith("recorded/")],
  ["synthetic", (n) => n.startsWith("synthetic/")],
  ["operational", (n) => n.startsWith("operational/")],
];
console.log(`Corpus: ${recordedNote}; ${corpus.length} series in all, ${rows} rows, ${corpus.reduce((n, s) => n + s.anomalies.length, 0)} labelled anomalies.`);
console.log(`Scored both detectors in ${(elapsed / 1000).toFixed(1)} s.`);
console.log("");
console.log("group      detector        threshold  window(std)  @0.5   precision  recall  median TTD  events");
const results: Record<string, { detector: Evaluation; baseline: Evaluation }> = {};
for (const [group, match] of groups) {
  const d = scored.filter((x) => match(x.detector.name)).map((x) => x.detector);
  if (!d.length) continue;
  const b = scored.filter((x) => match(x.baseline.name)).map((x) => x.baseline);
  const detector = evaluate(d, group === "all" ? DEFAULT_THRESHOLD : null);
  // The default threshold is the product's; report the best one too for the window score.
  const baseline = evaluate(b, null);
  results[group] = { detector, baseline };
  for (const [name, e] of [
    ["loopscope", detector],
    ["robust z (100)", baseline],
  ] as const) {
    console.log(
      `${group.padEnd(10)} ${name.padEnd(15)} ${e.threshold.toPrecision(3).padStart(9)}  ${e.windowScore.toFixed(1).padStart(11)}  ${(e.windowScoreAtDefault === null ? "" : e.windowScoreAtDefault.toFixed(1)).padStart(5)}  ${e.quality.precision.toFixed(3).padStart(9)}  ${e.quality.recall.toFixed(3).padStart(6)}  ${(e.quality.medianTimeToDetectS === null ? "—" : `${e.quality.medianTimeToDetectS.toFixed(0)} s`).padStart(10)}  ${e.quality.events}`,
    );
  }
}
console.log("(window = NAB-style standard-profile score at the best corpus-wide threshold; @0.5 = at Loopscope's default threshold;");
console.log(" precision/recall/TTD at 0.5 for Loopscope on 'all', otherwise at the best threshold)");

if (verbose) {
  const all = results.all;
  console.log("\nper series at the thresholds above (TP/FP/FN):");
  for (const x of scored) {
    const d = windowScore(x.detector, all.detector.threshold);
    const b = windowScore(x.baseline, all.baseline.threshold);
    console.log(`  ${x.detector.name.padEnd(58)} loopscope ${d.truePositives}/${d.falsePositives}/${d.falseNegatives}   z ${b.truePositives}/${b.falsePositives}/${b.falseNegatives}`);
  }
}

// CLI timing: start-up on a 2-row file and a 22,000-row file, through the bundled entry point.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-detect-"));
const small = path.join(dir, "small.csv");
const large = path.join(dir, "large.csv");
fs.writeFileSync(small, "timestamp,value\n2026-01-01T00:00:00Z,1\n2026-01-01T00:01:00Z,2\n");
const lines = ["timestamp,value"];
for (let i = 0; i < 22_000; i += 1) lines.push(`${new Date(Date.UTC(2026, 0, 1) + i * 300_000).toISOString()},${(100 + 10 * Math.sin(i / 40) + ((i * 7919) % 13)).toFixed(3)}`);
fs.writeFileSync(large, `${lines.join("\n")}\n`);
spawnSync(process.execPath, ["scripts/detect.mjs", "--build"]);
const time = (file: string) => {
  const runs: number[] = [];
  for (let i = 0; i < 5; i += 1) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ["dist/detect.mjs", file], { maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`detect failed: ${r.stderr}`);
    runs.push(performance.now() - t0);
  }
  return runs.sort((a, b) => a - b)[2] / 1000;
};
const startupS = time(small);
const largeS = time(large);
fs.rmSync(dir, { recursive: true, force: true });
console.log(`\nCLI (node dist/detect.mjs, median of 5): start-up ${startupS.toFixed(3)} s (target < 0.5 s); 22,000 rows ${largeS.toFixed(3)} s (target < 1 s)`);

const all = results.all ?? Object.values(results)[0];
const r2 = (x: number | null) => (x === null ? null : Math.round(x * 1000) / 1000);
const figures = (which: "detector" | "baseline") => ({
  window_score_standard: r2(all[which].windowScore),
  threshold: r2(all[which].threshold),
  precision: r2(all[which].quality.precision),
  recall: r2(all[which].quality.recall),
  median_time_to_detect_s: r2(all[which].quality.medianTimeToDetectS),
  recorded_window_score_standard: r2(results.recorded?.[which].windowScore ?? null),
  synthetic_window_score_standard: r2(results.synthetic?.[which].windowScore ?? null),
  operational_window_score_standard: r2(results.operational?.[which].windowScore ?? null),
});
console.log(
  JSON.stringify({
    bench: "detect",
    series: corpus.length,
    anomalies: all.detector.quality.anomalies,
    ...figures("detector"),
    window_score_standard_at_default: r2(all.detector.windowScoreAtDefault),
    baseline: { name: "trailing robust z-score (100 points)", ...figures("baseline") },
    cli_startup_s: r2(startupS),
    cli_22000_rows_s: r2(largeS),
  }),
);
