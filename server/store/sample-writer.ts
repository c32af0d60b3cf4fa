import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { refreshRollup, touchedMinutes } from "./rollup";
import { sqlState } from "./timeseries-pool";

/** Rows for the `samples` table, columnar: series id, epoch ms, value. */
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
}

const CHUNK_BYTES = 256 * 1024;
const UNIQUE_VIOLATION = "23505";

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
    // String(NaN|±Infinity) is "NaN"/"Infinity"/"-Infinity", which float8 accepts.
    chunk += `${rows.seriesIds[i]}\t${text}\t${rows.values[i]}\n`;
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
 * rollup rows of every minute a batch touches are recomputed in the same
 * transaction, so the rollup always matches the committed samples.
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
    if (rows.length === 0) return { inserted: 0, path: "copy" };
    const client = await this.pool.connect();
    let broken: Error | undefined;
    // A checked-out client has no pool listener: without ours, a dropped connection
    // would surface as an uncaught 'error' event instead of a failed write.
    const onError = (error: Error) => {
      broken = error;
    };
    client.on("error", onError);
    try {
      if (this.strategy === "optimistic") {
        try {
          return { inserted: await this.inTransaction(client, rows, () => copyInto(client, "samples", rows)), path: "copy" };
        } catch (error) {
          if (sqlState(error) !== UNIQUE_VIOLATION) throw error;
        }
      }
      return { inserted: await this.inTransaction(client, rows, () => this.staged(client, rows)), path: "staged" };
    } catch (error) {
      broken ??= sqlState(error) === undefined ? (error instanceof Error ? error : new Error(String(error))) : undefined;
      throw error;
    } finally {
      client.off("error", onError);
      // A connection that failed (rather than a statement that failed) is discarded.
      client.release(broken);
    }
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

  /** Runs `work` and then refreshes the 1-minute rollup of the minutes `rows` touch, in one transaction. */
  private async inTransaction(client: pg.PoolClient, rows: SampleRows, work: () => Promise<number>): Promise<number> {
    await client.query("BEGIN");
    try {
      const n = await work();
      if (n > 0) await refreshRollup(client, touchedMinutes(rows.seriesIds, rows.ts, rows.length));
      await client.query("COMMIT");
      return n;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
  }
}
