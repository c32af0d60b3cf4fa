/**
 * Value formatting for charts and tables. Deterministic (fixed `en-US` rules, no locale lookup)
 * so server and client render the same text and screenshots are stable.
 */

/** Units a chart or table can show. `ratio` is 0–1 shown as a percentage; `%` is already 0–100. */
export type ValueUnit = "s" | "ops/s" | "count" | "bytes" | "bytes/s" | "%" | "ratio" | "none";

/** How much precision to spend: `axis` keeps labels short, `exact` is for tooltips and tables. */
export type Precision = "axis" | "exact";

const SIG: Record<Precision, number> = { axis: 3, exact: 4 };

/** A number rounded to `sig` significant digits, without trailing zeros or exponent notation. */
export function significant(value: number, sig: number): string {
  if (!Number.isFinite(value)) return value > 0 ? "+Inf" : value < 0 ? "-Inf" : "NaN";
  if (value === 0) return "0";
  const abs = Math.abs(value);
  const digits = Math.floor(Math.log10(abs)) + 1;
  const decimals = Math.max(0, Math.min(12, sig - digits));
  const rounded = Number(value.toFixed(decimals));
  const text = decimals > 0 ? rounded.toFixed(decimals).replace(/\.?0+$/, "") : String(Math.round(rounded));
  return groupThousands(text);
}

function groupThousands(text: string): string {
  const [int, frac] = text.split(".");
  const sign = int.startsWith("-") ? "-" : "";
  const digits = sign ? int.slice(1) : int;
  if (digits.length <= 4) return text;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return sign + grouped + (frac ? `.${frac}` : "");
}

/** Compact count: 950, 1.2k, 3.4M, 5.6G. */
export function formatCount(value: number, precision: Precision = "axis"): string {
  if (!Number.isFinite(value)) return significant(value, 3);
  const abs = Math.abs(value);
  const sig = SIG[precision];
  if (precision === "exact" && abs < 1e6) return significant(value, abs >= 1000 ? 7 : sig);
  if (abs >= 1e12) return `${significant(value / 1e12, sig)}T`;
  if (abs >= 1e9) return `${significant(value / 1e9, sig)}G`;
  if (abs >= 1e6) return `${significant(value / 1e6, sig)}M`;
  if (abs >= 1e3) return `${significant(value / 1e3, sig)}k`;
  return significant(value, sig);
}

/** A duration given in seconds, in the largest unit that keeps it readable: 420 µs, 12.5 ms, 3.2 s, 4m 05s, 2h 10m. */
export function formatSeconds(seconds: number, precision: Precision = "axis"): string {
  if (!Number.isFinite(seconds)) return significant(seconds, 3);
  const sig = SIG[precision];
  const abs = Math.abs(seconds);
  if (abs === 0) return "0 s";
  if (abs < 1e-6) return `${significant(seconds * 1e9, sig)} ns`;
  if (abs < 1e-3) return `${significant(seconds * 1e6, sig)} µs`;
  if (abs < 1) return `${significant(seconds * 1e3, sig)} ms`;
  if (abs < 60) return `${significant(seconds, sig)} s`;
  const sign = seconds < 0 ? "-" : "";
  const whole = Math.round(abs);
  if (whole < 3600) {
    const m = Math.floor(whole / 60);
    const s = whole % 60;
    return `${sign}${m}m ${String(s).padStart(2, "0")}s`;
  }
  if (whole < 86400) {
    const h = Math.floor(whole / 3600);
    const m = Math.floor((whole % 3600) / 60);
    return `${sign}${h}h ${String(m).padStart(2, "0")}m`;
  }
  const d = Math.floor(whole / 86400);
  const h = Math.floor((whole % 86400) / 3600);
  return `${sign}${d}d ${h}h`;
}

/** Milliseconds as a duration (see formatSeconds). */
export function formatMillis(ms: number, precision: Precision = "axis"): string {
  return formatSeconds(ms / 1000, precision);
}

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** Bytes in binary units: 512 B, 1.5 KiB, 20 MiB. */
export function formatBytes(bytes: number, precision: Precision = "axis"): string {
  if (!Number.isFinite(bytes)) return significant(bytes, 3);
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? significant(value, 4) : significant(value, SIG[precision])} ${BYTE_UNITS[unit]}`;
}

/** Any value in its unit, e.g. formatValue(0.0123, "s") → "12.3 ms", formatValue(4.5, "ops/s") → "4.5/s". */
export function formatValue(value: number | null | undefined, unit: ValueUnit, precision: Precision = "axis"): string {
  if (value === null || value === undefined) return "–";
  switch (unit) {
    case "s":
      return formatSeconds(value, precision);
    case "ops/s":
      return `${formatCount(value, precision)}/s`;
    case "bytes":
      return formatBytes(value, precision);
    case "bytes/s":
      return `${formatBytes(value, precision)}/s`;
    case "%":
      return `${significant(value, SIG[precision])}%`;
    case "ratio":
      return `${significant(value * 100, SIG[precision])}%`;
    case "count":
      return formatCount(value, precision);
    default:
      return formatCount(value, precision);
  }
}
