/**
 * Floats as the exposition formats write them. Parsing accepts what Go's
 * strconv.ParseFloat accepts from real exporters (decimal and exponent forms, NaN and
 * ±Inf in any letter case); formatting reproduces Go's shortest `'g'` form and the
 * canonical OpenMetrics form Prometheus 3 uses to normalise `le` and `quantile`.
 */

/** The number a value token stands for, or undefined when it is not a float. */
export function parsePrometheusFloat(token: string): number | undefined {
  // Hot path (once per sample): a token made only of digits, '.', 'e', 'E', '+', '-' is a
  // decimal float exactly when Number() accepts it (Number alone would also take "",
  // whitespace, "0x10", "0b1" and "Infinity", which are filtered out by the character test).
  let decimal = token.length > 0;
  for (let k = 0; k < token.length && decimal; k++) {
    const c = token.charCodeAt(k);
    decimal = (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d;
  }
  if (decimal) {
    const value = Number(token);
    return Number.isNaN(value) ? undefined : value;
  }
  switch (token.toLowerCase()) {
    case "nan":
    case "+nan":
    case "-nan":
      return Number.NaN;
    case "inf":
    case "+inf":
    case "infinity":
    case "+infinity":
      return Number.POSITIVE_INFINITY;
    case "-inf":
    case "-infinity":
      return Number.NEGATIVE_INFINITY;
    default:
      return undefined;
  }
}

/** `strconv.FormatFloat(x, 'g', -1, 64)` with Prometheus's `+Inf`/`-Inf`/`NaN` spellings. */
export function formatGoFloat(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Number.POSITIVE_INFINITY) return "+Inf";
  if (x === Number.NEGATIVE_INFINITY) return "-Inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const [mantissa, exponentText] = x.toExponential().split("e");
  const exponent = Number(exponentText);
  const sign = x < 0 ? "-" : "";
  const digits = mantissa.replace("-", "").replace(".", "");
  // Go switches to exponent form when the decimal exponent is < -4 or >= 6 (shortest precision).
  if (exponent < -4 || exponent >= 6) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : "";
    const magnitude = Math.abs(exponent);
    return `${sign}${digits[0]}${fraction}e${exponent < 0 ? "-" : "+"}${magnitude < 10 ? "0" : ""}${magnitude}`;
  }
  if (exponent < 0) return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
  const integer = digits.slice(0, exponent + 1).padEnd(exponent + 1, "0");
  const fraction = digits.slice(exponent + 1);
  return `${sign}${integer}${fraction ? `.${fraction}` : ""}`;
}

/**
 * The canonical OpenMetrics spelling (Prometheus `formatOpenMetricsFloat`): Go's shortest
 * form with `.0` added to integers, so `le="1"` and `le="1.0"` name the same series.
 */
export function formatOpenMetricsFloat(x: number): string {
  const text = formatGoFloat(x);
  if (!Number.isFinite(x) || text.includes(".") || text.includes("e")) return text;
  return `${text}.0`;
}
