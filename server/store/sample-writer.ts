import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { daysOfSamples } from "./day-partitions";
import { ensureDayPartitions } from "./partition-store";
import { type RollupUpdate, updateRollup } from "./rollup";
import { groupByMinute, type MinuteGroup } from "./rollup-merge";
import { sqlState } from "./timeseries-pool";

/** Rows for the `samples` table, columnar: series id, epoch ms (integers), value. */
export interface SampleRows {
  readonly seriesIds: ArrayLike<number>;
  readonly ts: ArrayLike<number>;
  readonly values: ArrayLike<number>;
  readonly length: number;
}

/**
 * How a batch that may repeat already-stored (series, ts) pairs is written:
 * - "optimistic": COPY straight into `samples`; only if that hits the primary key
 *   (a replay, or duplicates inside the batch) is the batch rolled back and
 *   rewritten through the staging path. Fast when duplicates are rare.
 * - "staged": always COPY into a session temp table, then
 *   `INSERT … SELECT … ON CONFLICT DO NOTHING`.
 */
export type DuplicateStrategy = "optimistic" | "staged";

export interface WriteResult {
  /** Rows actually inserted (duplicates of stored rows are not counted). */
  inserted: number;
  path: "copy" | "staged";
  /** How the rollup minutes the batch touches were brought up to date. */
  rollup: RollupUpdate;
}

const CHUNK_BYTES = 256 * 1024;
const UNIQUE_VIOLATION = "23505";
/** "no partition of relation … found for row": a day whose partitions do not exist yet. */
const NO_PARTITION = "23514";

function* copyText(rows: SampleRows): Generator<string> {
  const tsText = new Map<number, string>();
  let chunk = "";
  for (let i = 0; i < rows.length; i += 1) {
    const ts = rows.ts[i];
    let text = tsText.get(ts);
    if (text === undefined) {
      text = new Date(ts).toISOString();
      tsText.set(ts, text);
    }
    // String(NaN|±Infinity) is "NaN"/"Infinity"/"-Infinity", which float8 accepts; String(-0) is "0".
    const value = rows.values[i];
    chunk += `${rows.seriesIds[i]}\t${text}\t${value === 0 && 1 / value < 0 ? "-0" : value}\n`;
    if (chunk.length >= CHUNK_BYTES) {
      yield chunk;
      chunk = "";
    }
  }
  if (chunk.length > 0) yield chunk;
}

async function copyInto(client: pg.PoolClient, table: string, rows: SampleRows): Promise<number> {
  const stream = client.query(copyFrom(`COPY ${table} (series_id, ts, value) FROM STDIN`));
  await pipeline(Readable.from(copyText(rows)), stream);
  return stream.rowCount;
}

/**
 * Writes sample batches with COPY (text format). Each batch is one transaction, so
 * it is stored entirely or not at all, and rows whose (series_id, ts) is already
 * stored are skipped rather than failing the batch, which makes replaying a batch
 * after an ambiguous failure harmless (exactly-once storage). The `samples_1m`
 * rollup rows of every minute a batch touches are brought up to date in the same
 * transaction (extended with the batch's samples, or recomputed for late ones), so
 * the rollup always matches the committed samples.
 */
export class SampleWriter {
  private readonly strategy: DuplicateStrategy;
  /** Connections that already have the session's staging table. */
  private readonly staging = new WeakSet<pg.PoolClient>();

  constructor(
    private readonly pool: pg.Pool,
    options: { strategy?: DuplicateStrategy } = {},
  ) {
    this.strategy = options.strategy ?? "optimistic";
  }

  async write(rows: SampleRows): Promise<WriteResult> {
    if (rows.length === 0) return { inserted: 0, path: "copy", rollup: { appended: 0, recomputed: 0, blocks: 0 } };
    // Grouped before the transaction starts, so the locks it takes are held shorter.
    const groups = groupByMinute(rows);
    const client = await this.pool.connect();
    let broken: Error | undefined;
    // A checked-out client has no pool listener: without ours, a dropped connection
    // would surface as an uncaught 'error' event instead of a failed write.
    const onError = (error: Error) => {
      broken = error;
    };
    client.on("error", onError);
    try {
      try {
        return await this.writeOn(client, rows, groups);
      } catch (error) {
        if (sqlState(error) !== NO_PARTITION) throw error;
        // Samples of a day without partitions (a backfill, a clock far off, a fresh
        // database before the keeper ran): make that day's partitions and write again.
        await ensureDayPartitions(client, daysOfSamples(rows.ts));
        return await this.writeOn(client, rows, groups);
      }
    } catch (error) {
      broken ??= sqlState(error) === undefined ? (error instanceof Error ? error : new Error(String(error))) : undefined;
      throw error;
    } finally {
      client.off("error", onError);
      // A connection that failed (rather than a statement that failed) is discarded.
      client.release(broken);
    }
  }

  private async writeOn(client: pg.PoolClient, rows: SampleRows, groups: readonly MinuteGroup[]): Promise<WriteResult> {
    if (this.strategy === "optimistic") {
      try {
        return { ...(await this.inTransaction(client, rows, groups, () => copyInto(client, "samples", rows))), path: "copy" };
      } catch (error) {
        if (sqlState(error) !== UNIQUE_VIOLATION) throw error;
      }
    }
    return { ...(await this.inTransaction(client, rows, groups, () => this.staged(client, rows))), path: "staged" };
  }

  private async staged(client: pg.PoolClient, rows: SampleRows): Promise<number> {
    if (!this.staging.has(client)) {
      await client.query(
        "CREATE TEMP TABLE IF NOT EXISTS samples_staging (series_id integer, ts timestamptz(3), value double precision) ON COMMIT DELETE ROWS",
      );
      this.staging.add(client);
    }
    await copyInto(client, "samples_staging", rows);
    const result = await client.query(
      "INSERT INTO samples (series_id, ts, value) SELECT series_id, ts, value FROM samples_staging ON CONFLICT (series_id, ts) DO NOTHING",
    );
    return result.rowCount ?? 0;
  }

  /** Runs `work` and then updates the 1-minute rollup of the minutes `rows` touch, in one transaction. */
  private async inTransaction(
    client: pg.PoolClient,
    rows: SampleRows,
    groups: readonly MinuteGroup[],
    work: () => Promise<number>,
  ): Promise<{ inserted: number; rollup: RollupUpdate }> {
    await client.query("BEGIN");
    try {
      const inserted = await work();
      const rollup = inserted > 0 ? await updateRollup(client, rows, groups) : { appended: 0, recomputed: 0, blocks: 0 };
      await client.query("COMMIT");
      return { inserted, rollup };
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
  }
}
