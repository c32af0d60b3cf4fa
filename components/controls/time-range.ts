/**
 * The dashboard's time range and auto-refresh as plain values, and their URL form.
 * Pure; the URL form is what makes a copied link reproduce the view.
 */
import type { TimeRange } from "../charts/types";
import { formatDuration, parseDuration } from "../../shared/duration";

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
  const ms = params.refresh ? parseDuration(params.refresh) : undefined;
  const intervalMs = ms !== undefined && ms >= 1000 ? ms : DEFAULT_REFRESH_MS;
  return { intervalMs, paused: params.paused === "1" || params.paused === "true" };
}

export function refreshToParams(setting: RefreshSetting): { refresh: string | null; paused: string | null } {
  return {
    refresh: setting.intervalMs === DEFAULT_REFRESH_MS ? null : formatDuration(setting.intervalMs),
    paused: setting.paused ? "1" : null,
  };
}

/** The range twice as long around the same middle, shifted back so it never ends after `now`. */
export function zoomedOut(range: TimeRange, now: number): TimeRangeSelection {
  const span = range.to - range.from;
  let to = range.to + span / 2;
  if (to > now) to = now;
  const from = to - 2 * span;
  return { kind: "custom", from: Math.round(from), to: Math.round(to) };
}

/** Ranges kept in the zoom history at most (the oldest are forgotten first). */
export const MAX_ZOOM_HISTORY = 12;

/** A selection as one zoom-history entry: a preset's id ("15m") or "from~to". */
function formatZoomEntry(selection: TimeRangeSelection): string {
  return selection.kind === "preset" ? selection.preset : `${formatUrlTime(selection.from)}~${formatUrlTime(selection.to)}`;
}

function parseZoomEntry(text: string): TimeRangeSelection | null {
  if (isRangePreset(text)) return { kind: "preset", preset: text };
  const [fromText, toText, extra] = text.split("~");
  if (extra !== undefined) return null;
  const from = parseUrlTime(fromText);
  const to = parseUrlTime(toText);
  return from !== null && to !== null && to > from ? { kind: "custom", from, to } : null;
}

/**
 * The URL parameter `zoom`: the ranges a drag-to-zoom came from, oldest first, separated by
 * commas (`15m,2025-01-15T10:00:00Z~2025-01-15T10:05:00Z`). Entries that do not parse are dropped.
 */
export function parseZoomHistory(text: string | null | undefined): TimeRangeSelection[] {
  if (!text) return [];
  const out: TimeRangeSelection[] = [];
  for (const part of text.split(",")) {
    const entry = parseZoomEntry(part.trim());
    if (entry) out.push(entry);
  }
  return out.slice(-MAX_ZOOM_HISTORY);
}

export function formatZoomHistory(history: readonly TimeRangeSelection[]): string | null {
  return history.length === 0 ? null : history.slice(-MAX_ZOOM_HISTORY).map(formatZoomEntry).join(",");
}

/** A range selection with the ranges it was zoomed in from (the URL's range, from, to and zoom). */
export interface ZoomState {
  selection: TimeRangeSelection;
  history: TimeRangeSelection[];
}

export function zoomStateToParams(state: ZoomState): { range: string | null; from: string | null; to: string | null; zoom: string | null } {
  return { ...rangeToParams(state.selection), zoom: formatZoomHistory(state.history) };
}

/**
 * Drag-to-zoom: the dragged range (whole seconds within it, at least one), remembering the range it was
 * dragged on, live ("last 15m") or fixed, so zooming out returns to it.
 */
export function zoomedIn(state: ZoomState, from: number, to: number): ZoomState {
  const start = Math.floor(Math.min(from, to) / 1_000) * 1_000;
  // The end rounds down: a drag to the right edge of a live range ends at most at its "now", never after it.
  const end = Math.max(start + 1_000, Math.floor(Math.max(from, to) / 1_000) * 1_000);
  return { selection: { kind: "custom", from: start, to: end }, history: [...state.history, state.selection].slice(-MAX_ZOOM_HISTORY) };
}

/** The next longer preset, if any. */
function longerPreset(preset: RangePreset): RangePreset | null {
  const i = RANGE_PRESETS.findIndex((p) => p.id === preset);
  return i >= 0 && i + 1 < RANGE_PRESETS.length ? RANGE_PRESETS[i + 1].id : null;
}

/**
 * Zoom out: back to the range the last drag-to-zoom started from (a live range stays live);
 * with no zoom to undo, a live range becomes the next longer preset and a fixed one twice as long
 * (`zoomedOut`).
 */
export function zoomedOutState(state: ZoomState, range: TimeRange, now: number): ZoomState {
  if (state.history.length > 0) return { selection: state.history[state.history.length - 1], history: state.history.slice(0, -1) };
  if (state.selection.kind === "preset") {
    const longer = longerPreset(state.selection.preset);
    if (longer) return { selection: { kind: "preset", preset: longer }, history: [] };
  }
  return { selection: zoomedOut(range, now), history: [] };
}

/**
 * A range for a query key, its ends rounded to whole steps of span/points, so a relative range
 * re-resolved every tick hits the same (cached) query until a step has passed.
 */
export function rangeQueryKey(range: TimeRange, points: number): { from: number; to: number } {
  const step = Math.max(1_000, Math.floor((range.to - range.from) / Math.max(1, points)));
  const to = Math.ceil(range.to / step) * step;
  return { from: Math.max(0, to - Math.round((range.to - range.from) / step) * step), to };
}

/** Only the range parameters of a query string (`range`, `from`, `to`), to carry the range onto links. */
export function rangeSearch(params: { get(name: string): string | null }): string {
  const out = new URLSearchParams();
  for (const name of ["range", "from", "to"]) {
    const value = params.get(name);
    if (value) out.set(name, value);
  }
  return out.toString();
}
