import type { Labels } from "./labels";

/**
 * The subset of Prometheus alert templating Loopscope supports in rule labels and
 * annotations: `{{ $labels.<name> }}`, `{{ $value }}`, `{{ $externalURL }}`, each
 * optionally piped through one function (`humanize`, `humanize1024`,
 * `humanizePercentage`, `humanizeDuration`, `toUpper`, `toLower`).
 * Anything else between `{{ }}` is refused when the rule is validated.
 */
export interface TemplateData {
  labels: Labels;
  value: number;
  externalURL?: string;
}

const ACTION = /\{\{-?\s*(.*?)\s*-?\}\}/g;
const EXPRESSION = /^(\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)|\$value|\$externalURL)(?:\s*\|\s*([a-zA-Z0-9]+))?$/;
const FUNCTIONS = ["humanize", "humanize1024", "humanizePercentage", "humanizeDuration", "toUpper", "toLower"] as const;
type TemplateFunction = (typeof FUNCTIONS)[number];

/** Problems with a template, one sentence each; empty when it is valid. */
export function templateProblems(text: string): string[] {
  const problems: string[] = [];
  for (const match of text.matchAll(ACTION)) {
    const parsed = EXPRESSION.exec(match[1]);
    if (!parsed) {
      problems.push(
        `unsupported template expression {{ ${match[1]} }}; use {{ $labels.<name> }}, {{ $value }} or {{ $externalURL }}, optionally | ${FUNCTIONS.join(" / ")}`,
      );
    } else if (parsed[3] && !(FUNCTIONS as readonly string[]).includes(parsed[3])) {
      problems.push(`unknown template function "${parsed[3]}" in {{ ${match[1]} }}; use one of ${FUNCTIONS.join(", ")}`);
    }
  }
  const opens = (text.match(/\{\{/g) ?? []).length;
  const closes = (text.match(/\}\}/g) ?? []).length;
  if (opens !== closes) problems.push("unbalanced {{ }} braces");
  return problems;
}

/** Expands a template; an unsupported expression is left as written (validation refuses it earlier). */
export function expandTemplate(text: string, data: TemplateData): string {
  if (!text.includes("{{")) return text;
  return text.replace(ACTION, (whole, expression: string) => {
    const parsed = EXPRESSION.exec(expression);
    if (!parsed) return whole;
    let value: string | number;
    if (parsed[1] === "$value") value = data.value;
    else if (parsed[1] === "$externalURL") value = data.externalURL ?? "";
    else value = data.labels[parsed[2]] ?? "";
    const fn = parsed[3] as TemplateFunction | undefined;
    return fn ? applyFunction(fn, value) : formatValue(value);
  });
}

function formatValue(value: string | number): string {
  if (typeof value === "string") return value;
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

function applyFunction(fn: TemplateFunction, value: string | number): string {
  const number = typeof value === "number" ? value : Number(value);
  switch (fn) {
    case "toUpper":
      return formatValue(value).toUpperCase();
    case "toLower":
      return formatValue(value).toLowerCase();
    case "humanize":
      return Number.isFinite(number) ? humanize(number) : formatValue(value);
    case "humanize1024":
      return Number.isFinite(number) ? humanize1024(number) : formatValue(value);
    case "humanizePercentage":
      return Number.isFinite(number) ? `${g4(number * 100)}%` : formatValue(value);
    case "humanizeDuration":
      return Number.isFinite(number) ? humanizeDuration(number) : formatValue(value);
  }
}

/** Go's `%.4g` for the magnitudes humanize produces. */
function g4(value: number): string {
  return String(Number(value.toPrecision(4)));
}

/** Prometheus `humanize`: SI prefixes (k, M, G… / m, u, n…), four significant digits. */
export function humanize(value: number): string {
  if (value === 0 || !Number.isFinite(value)) return formatValue(value);
  const abs = Math.abs(value);
  if (abs >= 1) {
    const prefixes = ["", "k", "M", "G", "T", "P", "E", "Z", "Y"];
    let v = value;
    let i = 0;
    while (Math.abs(v) >= 1000 && i < prefixes.length - 1) {
      v /= 1000;
      i += 1;
    }
    return `${g4(v)}${prefixes[i]}`;
  }
  const prefixes = ["", "m", "u", "n", "p", "f", "a", "z", "y"];
  let v = value;
  let i = 0;
  while (Math.abs(v) < 1 && i < prefixes.length - 1) {
    v *= 1000;
    i += 1;
  }
  return `${g4(v)}${prefixes[i]}`;
}

/** Prometheus `humanize1024`: binary prefixes (ki, Mi, Gi…). */
export function humanize1024(value: number): string {
  if (Math.abs(value) <= 1) return g4(value);
  const prefixes = ["", "ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"];
  let v = value;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < prefixes.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${g4(v)}${prefixes[i]}`;
}

/** Prometheus `humanizeDuration` of a number of seconds: `1d 2h 3m 4s`, `250ms`. */
export function humanizeDuration(seconds: number): string {
  const sign = seconds < 0 ? "-" : "";
  const v = Math.abs(seconds);
  if (v === 0) return "0s";
  if (v < 1) {
    if (v >= 1e-3) return `${sign}${g4(v * 1e3)}ms`;
    if (v >= 1e-6) return `${sign}${g4(v * 1e6)}us`;
    return `${sign}${g4(v * 1e9)}ns`;
  }
  const days = Math.floor(v / 86_400);
  const hours = Math.floor((v % 86_400) / 3_600);
  const minutes = Math.floor((v % 3_600) / 60);
  const secs = v % 60;
  const parts: string[] = [];
  if (days > 0) parts.push(`${days}d`);
  if (hours > 0) parts.push(`${hours}h`);
  if (minutes > 0) parts.push(`${minutes}m`);
  if (secs > 0 || parts.length === 0) parts.push(`${g4(secs)}s`);
  return sign + parts.join(" ");
}
