import { sqlState } from "./timeseries-pool";

/**
 * Whether a failed write was refused because of what it wrote (a poison row) rather than
 * because the database is unavailable: SQLSTATE class 22 (data exception: a timestamp or
 * number out of range, invalid text, a NUL character) or 54 (program limit exceeded, e.g.
 * an index row too large). Such a write fails the same way on every retry.
 */
export function isPoisonError(error: unknown): boolean {
  const state = sqlState(error);
  return state !== undefined && (state.startsWith("22") || state.startsWith("54"));
}

export interface PoisonRow {
  index: number;
  error: string;
}

/**
 * Writes rows [0, length) with `write(start, end)`, isolating poison rows by bisection:
 * when a range is refused for its data ({@link isPoisonError}), its halves are written
 * separately, down to single rows, which are reported instead of retried. A poison row
 * costs about 2·log2(length) extra writes; the other rows are stored. Any other error
 * (database down, connection lost) is thrown as is, so the caller retries the whole
 * range later (writes must be idempotent, as the sample writer's are).
 */
export async function writeIsolatingPoison(
  length: number,
  write: (start: number, end: number) => Promise<void>,
  isPoison: (error: unknown) => boolean = isPoisonError,
): Promise<PoisonRow[]> {
  const poison: PoisonRow[] = [];
  const attempt = async (start: number, end: number): Promise<void> => {
    if (end <= start) return;
    try {
      await write(start, end);
    } catch (error) {
      if (!isPoison(error)) throw error;
      if (end - start === 1) {
        poison.push({ index: start, error: error instanceof Error ? error.message : String(error) });
        return;
      }
      const middle = start + Math.floor((end - start) / 2);
      await attempt(start, middle);
      await attempt(middle, end);
    }
  };
  await attempt(0, length);
  return poison;
}
