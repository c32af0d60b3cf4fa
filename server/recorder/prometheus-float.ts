import { formatGoFloat } from "../scrape/prometheus-float";

/**
 * Formats a float the way Go's client_golang writes `le` and `quantile` label values:
 * `strconv.FormatFloat(v, 'g', -1, 64)`, i.e. the shortest round-trip digits, in
 * exponent form when the decimal exponent is below -4 or at least 6, with "+Inf",
 * "-Inf" and "NaN" for the specials. Examples: 0.005 → "0.005", 1e-8 → "1e-08",
 * 1e6 → "1e+06", 100000 → "100000", 2.5 → "2.5". Prometheus 3 normalises these label
 * values to the same form on ingestion, so series from both sources line up.
 */
export const formatPrometheusFloat = formatGoFloat;

/**
 * Normalises an `le`/`quantile` label value as Prometheus 3 does on ingestion
 * ("1.0" from OpenMetrics and "1" from the text format become the same series).
 * Values that are not numbers are returned unchanged.
 */
export function normalizeFloatLabel(text: string): string {
  const trimmed = text.trim();
  if (trimmed === "") return text;
  const lower = trimmed.toLowerCase();
  if (lower === "+inf" || lower === "inf") return "+Inf";
  if (lower === "-inf") return "-Inf";
  if (lower === "nan") return "NaN";
  const parsed = Number(trimmed);
  return Number.isNaN(parsed) ? text : formatPrometheusFloat(parsed);
}
