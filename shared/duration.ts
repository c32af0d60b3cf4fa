import { z } from "zod";

/**
 * Loopscope's one duration syntax, Prometheus's (prometheus/common model.ParseDuration):
 * whole numbers with units in descending order, each at most once —
 * `y` (365 days), `w`, `d`, `h`, `m`, `s`, `ms` — such as `1h30m`, `90s`, `2w`, `0s`, or
 * a bare `0`. No fractions (`1.5m`), no spaces, no signs, no repeated or reordered units.
 * Used by the configuration, the API's inputs and the browser's forms alike. Pure.
 */
const UNITS = [
  ["y", 365 * 86_400_000],
  ["w", 7 * 86_400_000],
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1_000],
  ["ms", 1],
] as const;

const SYNTAX = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** Go's time.Duration limit (2^63−1 ns) in milliseconds: longer durations are out of range, as in Prometheus. */
export const MAX_DURATION_MS = 9_223_372_036_854;

/** What a duration looks like, for messages. */
export const DURATION_HINT = 'a duration such as "90s", "5m", "1h30m" or "0s" (whole numbers; units y, w, d, h, m, s, ms, largest first)';

/** Milliseconds of a duration, or undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  if (text === "0") return 0;
  if (text === "" || text.length > 64) return undefined;
  const match = SYNTAX.exec(text);
  if (!match) return undefined;
  let total = 0;
  for (let i = 0; i < UNITS.length; i += 1) {
    const part = match[i + 1];
    if (part === undefined) continue;
    const ms = Number(part) * UNITS[i][1];
    if (part.length > 16 || ms > MAX_DURATION_MS) return undefined;
    total += ms;
  }
  return total <= MAX_DURATION_MS ? total : undefined;
}

/** Milliseconds as Prometheus prints them: `0s`, `500ms`, `1m30s`, `1w`, `10d` (years and weeks only when exact). */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return "0s";
  let rest = Math.round(ms);
  let out = "";
  for (const [unit, size] of UNITS) {
    if ((unit === "y" || unit === "w") && rest % size !== 0) continue;
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}

/**
 * A duration written as text (configuration, files): milliseconds, or an issue naming the syntax.
 * A refinement rather than an issue raised in the transform, so that inside a union (target
 * files accept a URL or an object) zod still reports this field's hint instead of "Invalid input".
 */
export function durationText() {
  return z
    .string()
    .refine((value) => parseDuration(value) !== undefined, DURATION_HINT)
    .transform((value) => parseDuration(value) as number);
}

/** An API duration: text in the syntax above, or whole milliseconds; bounded. */
export function durationSchema(options: { min?: number; max?: number; minText?: string } = {}) {
  const min = options.min ?? 0;
  const max = options.max ?? 30 * 86_400_000;
  return z.union([z.number(), z.string()], { message: `must be ${DURATION_HINT} or a number of milliseconds` }).transform((value, ctx) => {
    const ms = typeof value === "number" ? value : parseDuration(value.trim());
    if (ms === undefined || !Number.isSafeInteger(ms) || ms < 0) {
      ctx.addIssue({ code: "custom", message: `"${String(value)}" is not ${DURATION_HINT} or a whole number of milliseconds` });
      return z.NEVER;
    }
    if (ms < min) {
      ctx.addIssue({ code: "custom", message: `must be at least ${options.minText ?? formatDuration(min)}` });
      return z.NEVER;
    }
    if (ms > max) {
      ctx.addIssue({ code: "custom", message: `must be at most ${formatDuration(max)}` });
      return z.NEVER;
    }
    return ms;
  });
}
