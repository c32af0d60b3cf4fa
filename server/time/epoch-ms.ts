import { z } from "zod";

/**
 * The instants Loopscope accepts and stores: 0001-01-01 to 9999-12-31 (UTC), in epoch ms.
 * JavaScript dates reach ±8.64e15 ms (year 275760) and PostgreSQL `timestamptz` reaches
 * 294276 AD, but between them the text forms disagree (`+010000-01-01…`), so anything outside
 * four-digit years is refused at the edge with a clear message instead of failing in SQL.
 */
export const MIN_STORABLE_MS = -62_135_596_800_000;
export const MAX_STORABLE_MS = 253_402_300_799_999;

export const INSTANT_MESSAGE = "must be a time between 1970-01-01 and 9999-12-31 (milliseconds since the epoch)";

/** An API input instant: epoch ms from 1970 to 9999 (what every range, window and diff takes). */
export const epochMsSchema = z.number({ message: INSTANT_MESSAGE }).int(INSTANT_MESSAGE).min(0, INSTANT_MESSAGE).max(MAX_STORABLE_MS, INSTANT_MESSAGE);

/** Whether an epoch-ms instant (from a date string or Date) is within the storable years. */
export function isStorableMs(ms: number): boolean {
  return Number.isFinite(ms) && ms >= MIN_STORABLE_MS && ms <= MAX_STORABLE_MS;
}
