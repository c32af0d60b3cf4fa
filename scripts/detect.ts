/**
 * Backtest anomaly detection on a CSV file of `timestamp,value` rows:
 *
 *   node --import tsx scripts/detect.ts <file.csv> [--windows] [--sensitivity low|medium|high] [--direction both|above|below]
 *
 * Prints `timestamp,anomaly_score` (one row per input row, timestamps as written) and,
 * with --windows, the anomaly windows as one JSON line at the end. It runs the same
 * monitor as live detection: the score printed is each point's novelty (its live score,
 * discounted once a departure has persisted for a few points, so a lasting state is
 * reported where it began); the windows are exactly those the dashboard would show.
 * A repeated timestamp keeps the last value and an out-of-order row is skipped (score
 * 0); both are counted on stderr. Exit codes: 0 ok, 1 bad input file, 2 bad usage.
 * `npm run build:detect` bundles this file to dist/detect.mjs (also done on install),
 * which starts without tsx: `node dist/detect.mjs file.csv`.
 */
import fs from "node:fs";
import { parseArgs } from "node:util";
import { CsvError, parseSeriesCsv } from "../server/anomaly/csv";
import type { DirectionFilter } from "../server/anomaly/detector";
import { backtestRows } from "../server/anomaly/backtest";
import { isSensitivity } from "../server/anomaly/sensitivity";

const USAGE = "usage: detect <file.csv> [--windows] [--sensitivity low|medium|high] [--direction both|above|below]";

function fail(code: number, message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function main(): void {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        windows: { type: "boolean", default: false },
        sensitivity: { type: "string", default: "medium" },
        direction: { type: "string", default: "both" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    fail(2, `${(error as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (positionals.length !== 1) fail(2, USAGE);
  const sensitivity = values.sensitivity;
  if (!isSensitivity(sensitivity)) fail(2, `--sensitivity must be low, medium or high, not ${JSON.stringify(sensitivity)}`);
  const direction = values.direction;
  if (direction !== "both" && direction !== "above" && direction !== "below") fail(2, `--direction must be both, above or below, not ${JSON.stringify(direction)}`);

  const file = String(positionals[0]);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    fail(1, `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let rows: ReturnType<typeof parseSeriesCsv>;
  try {
    rows = parseSeriesCsv(text);
  } catch (error) {
    if (error instanceof CsvError) fail(1, `${file}: ${error.message}`);
    throw error;
  }

  const analysis = backtestRows(rows, { sensitivity, direction: direction as DirectionFilter }, { seriesKey: file });
  if (analysis.repeated > 0) process.stderr.write(`${file}: ${analysis.repeated} row(s) repeat the previous timestamp; the last value of each was kept\n`);
  if (analysis.outOfOrder > 0) process.stderr.write(`${file}: ${analysis.outOfOrder} row(s) step back in time; they were skipped (score 0)\n`);
  const out: string[] = ["timestamp,anomaly_score"];
  for (let i = 0; i < rows.length; i += 1) out.push(`${rows[i].timestampText},${analysis.scores[i].toFixed(4)}`);
  if (values.windows) {
    const windows = analysis.windows.map((w) => ({
      start: new Date(w.start).toISOString(),
      end: w.end === null ? null : new Date(w.end).toISOString(),
      detectedAt: new Date(w.detectedAt).toISOString(),
      peakScore: Math.round(w.peakScore * 1e4) / 1e4,
      direction: w.direction,
      series: w.seriesKey,
      detector: w.detector,
      params: w.params,
    }));
    out.push(JSON.stringify(windows));
  }
  process.stdout.write(`${out.join("\n")}\n`);
}

main();
