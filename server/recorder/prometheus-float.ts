/**
 * Formats a float the way Go's client_golang writes `le` and `quantile` label values:
 * `strconv.FormatFloat(v, 'g', -1, 64)`, i.e. the shortest round-trip digits, in
 * exponent form when the decimal exponent is below -4 or at least 6, with "+Inf",
 * "-Inf" and "NaN" for the specials. Examples: 0.005 → "0.005", 1e-8 → "1e-08",
 * 1e6 → "1e+06", 100000 → "100000", 2.5 → "2.5". Prometheus 3 normalises these label
 * values to the same form on ingestion, so series from both sources line up.
 */
export function formatPrometheusFloat(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  if (value === 0) return Object.is(value, -0) ? "-0" : "0";
  // toExponential() without an argument yields the shortest round-trip digits.
  const [mantissa, exponentText] = value.toExponential().split("e");
  const exponent = Number(exponentText);
  const negative = mantissa.startsWith("-");
  const digits = mantissa.replace("-", "").replace(".", "");
  const sign = negative ? "-" : "";
  // strconv/ftoa.go: for the shortest 'g' format the %e/%f decision uses eprec = 6.
  if (exponent < -4 || exponent >= 6) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : "";
    const expSign = exponent < 0 ? "-" : "+";
    const expDigits = String(Math.abs(exponent)).padStart(2, "0");
    return `${sign}${digits[0]}${fraction}e${expSign}${expDigits}`;
  }
  if (exponent < 0) return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
  const integerPart = digits.slice(0, exponent + 1).padEnd(exponent + 1, "0");
  const fractionPart = digits.slice(exponent + 1);
  return `${sign}${integerPart}${fractionPart ? `.${fractionPart}` : ""}`;
}

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
