import { z } from "zod";

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION = /^(\d+(?:ms|s|m|h|d|w))+$/;

/** Parses a Prometheus-style duration ("90s", "1h30m", "500ms") into milliseconds. */
export function parseDurationMs(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const part of text.matchAll(/(\d+)(ms|s|m|h|d|w)/g)) total += Number(part[1]) * UNITS[part[2]];
  return total;
}

/** Prints milliseconds the Prometheus way: 0s, 500ms, 2m, 1h30m. */
export function formatDurationMs(ms: number): string {
  if (ms === 0) return "0s";
  let rest = ms;
  let out = "";
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1_000],
    ["ms", 1],
  ] as const) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}

/** A duration given as milliseconds (integer) or as text such as "2m" / "1h30m". */
export function durationSchema(options: { min?: number; max?: number; minText?: string } = {}) {
  const min = options.min ?? 0;
  const max = options.max ?? 30 * 86_400_000;
  return z
    .union([z.number(), z.string()], { message: 'must be a duration such as "30s", "5m" or a number of milliseconds' })
    .transform((value, ctx) => {
      const ms = typeof value === "number" ? value : parseDurationMs(value.trim());
      if (ms === undefined || !Number.isInteger(ms) || ms < 0) {
        ctx.addIssue({ code: "custom", message: `"${String(value)}" is not a duration such as "30s", "5m", "1h30m" or a whole number of milliseconds` });
        return z.NEVER;
      }
      if (ms < min) {
        ctx.addIssue({ code: "custom", message: `must be at least ${options.minText ?? formatDurationMs(min)}` });
        return z.NEVER;
      }
      if (ms > max) {
        ctx.addIssue({ code: "custom", message: `must be at most ${formatDurationMs(max)}` });
        return z.NEVER;
      }
      return ms;
    });
}
