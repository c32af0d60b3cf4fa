/** Label / annotation maps edited as ordered rows. Pure. */

export interface KeyValue {
  key: string;
  value: string;
}

export function recordToPairs(record: Record<string, string>): KeyValue[] {
  return Object.entries(record).map(([key, value]) => ({ key, value }));
}

/** Rows with an empty key are dropped; a later duplicate key wins. */
export function pairsToRecord(pairs: readonly KeyValue[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { key, value } of pairs) if (key.trim() !== "") out[key.trim()] = value;
  return out;
}
