/**
 * Reading `timestamp,value` CSV for backtests. Timestamps are ISO-8601 (UTC when they
 * carry no offset) or epoch seconds / milliseconds (numbers below 1e11 are seconds:
 * 1e11 s is the year 5138); a header line is optional; blank lines are skipped; an
 * empty, `NaN` or `null` value is a missing value. Rows are returned in file order:
 * repeated and out-of-order timestamps are the scorer's business (see backtest.ts).
 * Every bad row is reported with its line number and what was expected, so a user can
 * fix the file.
 */
export interface CsvRow {
  /** 1-based line number in the file. */
  line: number;
  /** The timestamp exactly as written (echoed in the output). */
  timestampText: string;
  ts: number;
  /** NaN for a missing value. */
  value: number;
}

export class CsvError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = "CsvError";
  }
}

const EPOCH_SECONDS_LIMIT = 1e11;
const ISO_LIKE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const HAS_TIME = /[T ]\d{2}:\d{2}/;
const HAS_OFFSET = /(Z|[+-]\d{2}:?\d{2})$/;
const MISSING = /^(|nan|null|none|na)$/i;

/** Parses a timestamp cell into epoch milliseconds, or undefined when it is not one. */
export function parseTimestamp(text: string): number | undefined {
  const t = text.trim();
  if (NUMBER.test(t)) {
    const n = Number(t);
    if (!Number.isFinite(n) || n < 0) return undefined;
    return n < EPOCH_SECONDS_LIMIT ? Math.round(n * 1000) : Math.round(n);
  }
  if (!ISO_LIKE.test(t)) return undefined;
  // ECMAScript reads a date-time without an offset as local time; the file means UTC.
  const iso = t.includes(" ") ? t.replace(" ", "T") : t;
  const ms = Date.parse(HAS_TIME.test(iso) && !HAS_OFFSET.test(iso) ? `${iso}Z` : iso);
  return Number.isNaN(ms) ? undefined : ms;
}

function unquote(cell: string): string {
  const c = cell.trim();
  return c.length >= 2 && c.startsWith('"') && c.endsWith('"') ? c.slice(1, -1) : c;
}

/** Parses the whole text; the first line may be a header such as `timestamp,value`. */
export function parseSeriesCsv(text: string): CsvRow[] {
  const rows: CsvRow[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i += 1) {
    const line = i + 1;
    const raw = lines[i];
    if (raw.trim() === "") continue;
    const cells = raw.split(",").map(unquote);
    const isFirst = rows.length === 0 && lines.slice(0, i).every((l) => l.trim() === "");
    if (isFirst && cells.length >= 1 && parseTimestamp(cells[0]) === undefined && !NUMBER.test(cells[1] ?? "") && !MISSING.test(cells[1] ?? "x")) continue; // header
    if (cells.length !== 2) throw new CsvError(line, `expected 2 columns "timestamp,value", found ${cells.length}: ${JSON.stringify(raw)}`);
    const ts = parseTimestamp(cells[0]);
    if (ts === undefined) throw new CsvError(line, `timestamp ${JSON.stringify(cells[0])} is neither ISO-8601 nor epoch seconds/milliseconds`);
    const missing = MISSING.test(cells[1]);
    if (!missing && !NUMBER.test(cells[1])) throw new CsvError(line, `value ${JSON.stringify(cells[1])} is not a number (leave it empty for a missing value)`);
    const value = missing ? Number.NaN : Number(cells[1]);
    if (!missing && !Number.isFinite(value)) throw new CsvError(line, `value ${JSON.stringify(cells[1])} is not finite`);
    rows.push({ line, timestampText: cells[0], ts, value });
  }
  return rows;
}
