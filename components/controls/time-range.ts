/**
 * The dashboard's time range and auto-refresh as plain values, and their URL form.
 * Pure; the URL form is what makes a copied link reproduce the view.
 */
import type { TimeRange } from "../charts/types";
import { formatDuration, parseDuration } from "../format/duration";

export const RANGE_PRESETS = [
  { id: "15m", label: "15m", ms: 15 * 60_000 },
  { id: "1h", label: "1h", ms: 60 * 60_000 },
  { id: "6h", label: "6h", ms: 6 * 60 * 60_000 },
  { id: "24h", label: "24h", ms: 24 * 60 * 60_000 },
  { id: "7d", label: "7d", ms: 7 * 24 * 60 * 60_000 },
] as const;

export type RangePreset = (typeof RANGE_PRESETS)[number]["id"];

export const DEFAULT_PRESET: RangePreset = "1h";

/** A relative range ending now, or a fixed one. */
export type TimeRangeSelection = { kind: "preset"; preset: RangePreset } | { kind: "custom"; from: number; to: number };

export function isRangePreset(value: string): value is RangePreset {
  return RANGE_PRESETS.some((p) => p.id === value);
}

export function presetMs(preset: RangePreset): number {
  return RANGE_PRESETS.find((p) => p.id === preset)?.ms ?? 3_600_000;
}

/** The absolute range a selection means at time `now`. */
export function resolveRange(selection: TimeRangeSelection, now: number): TimeRange {
  if (selection.kind === "custom") return { from: selection.from, to: selection.to };
  return { from: now - presetMs(selection.preset), to: now };
}

/** A URL timestamp: ISO 8601 without milliseconds when they are zero. */
export function formatUrlTime(ts: number): string {
  return new Date(ts).toISOString().replace(".000Z", "Z");
}

/** An ISO 8601 timestamp or epoch milliseconds, or null. */
export function parseUrlTime(text: string | null | undefined): number | null {
  if (!text) return null;
  if (/^\d{10,}$/.test(text)) return Number(text);
  const ts = Date.parse(text);
  return Number.isNaN(ts) ? null : ts;
}

/** URL parameters `range`, `from`, `to` as a selection; anything invalid falls back to the default preset. */
export function parseRangeParams(params: { range?: string | null; from?: string | null; to?: string | null }): TimeRangeSelection {
  const from = parseUrlTime(params.from);
  const to = parseUrlTime(params.to);
  if (from !== null && to !== null && to > from) return { kind: "custom", from, to };
  if (params.range && isRangePreset(params.range)) return { kind: "preset", preset: params.range };
  return { kind: "preset", preset: DEFAULT_PRESET };
}

/** The URL parameters for a selection (null = remove the parameter). */
export function rangeToParams(selection: TimeRangeSelection): { range: string | null; from: string | null; to: string | null } {
  if (selection.kind === "custom") return { range: null, from: formatUrlTime(selection.from), to: formatUrlTime(selection.to) };
  return { range: selection.preset, from: null, to: null };
}

export const REFRESH_OPTIONS_MS = [5_000, 10_000, 30_000, 60_000, 300_000] as const;
export const DEFAULT_REFRESH_MS = 10_000;

export interface RefreshSetting {
  intervalMs: number;
  paused: boolean;
}

/** URL parameters `refresh` (a duration such as "30s", or "off") and `paused`. */
export function parseRefreshParams(params: { refresh?: string | null; paused?: string | null }): RefreshSetting {
  if (params.refresh === "off") return { intervalMs: DEFAULT_REFRESH_MS, paused: true };
  const ms = params.refresh ? parseDuration(params.refresh) : null;
  const intervalMs = ms !== null && ms >= 1000 ? ms : DEFAULT_REFRESH_MS;
  return { intervalMs, paused: params.paused === "1" || params.paused === "true" };
}

export function refreshToParams(setting: RefreshSetting): { refresh: string | null; paused: string | null } {
  return {
    refresh: setting.intervalMs === DEFAULT_REFRESH_MS ? null : formatDuration(setting.intervalMs),
    paused: setting.paused ? "1" : null,
  };
}
