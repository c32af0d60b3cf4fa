import type pg from "pg";
import type { BackgroundService } from "../lifecycle/service-set";
import { log as rootLog, type Logger } from "../log";
import { expireRollup } from "./rollup";
import { RepeatingTask } from "../lifecycle/repeating-task";

/** Disk usage of the database and of the samples table, for the UI. */
export interface DatabaseSize {
  databaseBytes: number;
  samplesTableBytes: number;
  samplesIndexBytes: number;
  /** Table + indexes + TOAST of `samples`. */
  samplesTotalBytes: number;
  seriesTotalBytes: number;
  /** The planner's row estimate (cheap; exact after VACUUM/ANALYZE). */
  estimatedSamples: number;
  seriesCount: number;
  /** samplesTotalBytes / estimatedSamples, or null before there are samples. */
  bytesPerSample: number | null;
}

export async function databaseSize(db: pg.Pool | pg.ClientBase): Promise<DatabaseSize> {
  const { rows } = await db.query<{
    db: string;
    heap: string;
    idx: string;
    total: string;
    series: string;
    est: string;
    series_count: string;
  }>(
    `SELECT pg_database_size(current_database()) AS db,
            pg_relation_size('samples') AS heap,
            pg_indexes_size('samples') AS idx,
            pg_total_relation_size('samples') AS total,
            pg_total_relation_size('series') AS series,
            greatest((SELECT reltuples FROM pg_class WHERE oid = 'samples'::regclass), 0)::bigint AS est,
            (SELECT count(*) FROM series) AS series_count`,
  );
  const r = rows[0];
  const estimatedSamples = Number(r.est);
  const samplesTotalBytes = Number(r.total);
  return {
    databaseBytes: Number(r.db),
    samplesTableBytes: Number(r.heap),
    samplesIndexBytes: Number(r.idx),
    samplesTotalBytes,
    seriesTotalBytes: Number(r.series),
    estimatedSamples,
    seriesCount: Number(r.series_count),
    bytesPerSample: estimatedSamples > 0 ? samplesTotalBytes / estimatedSamples : null,
  };
}

export interface RetentionOptions {
  pool: pg.Pool;
  /** LOOPSCOPE_RETENTION: samples older than this are deleted. */
  retentionMs: number;
  /** How often the job runs (default 10 min; the first run is 30 s after start). */
  intervalMs?: number;
  /** Rows per DELETE (default 50,000). */
  batchSize?: number;
  /** Pause between batches so the deletes never hog the database (default 50 ms). */
  pauseMs?: number;
  log?: Logger;
  now?: () => number;
}

export interface RetentionRun {
  cutoff: number;
  deleted: number;
  batches: number;
  stopped: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Deletes samples older than the retention period, in ctid batches of `batchSize`
 * rows (each its own short transaction), pausing between batches. Deleting rows takes
 * no lock that inserts wait for, so ingestion is never blocked; a stop request ends
 * the run after the current batch. Once the samples are gone, the `samples_1m`
 * rollup minutes before the cutoff are dropped and the cutoff's minute recomputed.
 */
export class RetentionJob implements BackgroundService {
  readonly name = "retention";
  private readonly loop: RepeatingTask;
  private running?: Promise<RetentionRun>;
  private stopping = false;
  private readonly log: Logger;
  private readonly now: () => number;
  lastRun?: RetentionRun & { at: number };

  constructor(private readonly options: RetentionOptions) {
    this.log = (options.log ?? rootLog).child({ component: "retention" });
    this.now = options.now ?? Date.now;
    this.loop = new RepeatingTask({
      run: async () => {
        const run = await this.runOnce();
        this.lastRun = { ...run, at: this.now() };
        if (run.deleted > 0) this.log.info(run, "expired samples deleted");
      },
      everyMs: options.intervalMs ?? 600_000,
      onError: (error) => this.log.warn({ err: error instanceof Error ? error.message : String(error) }, "retention pass failed"),
      unref: true,
    });
  }

  async start(): Promise<void> {
    this.stopping = false;
    this.loop.start(30_000);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop.stop();
    await this.running?.catch(() => undefined);
  }

  /** Runs one retention pass now (or joins the one in progress). */
  runOnce(): Promise<RetentionRun> {
    this.running ??= this.deleteExpired().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async deleteExpired(): Promise<RetentionRun> {
    const cutoff = this.now() - this.options.retentionMs;
    const batchSize = this.options.batchSize ?? 50_000;
    const run: RetentionRun = { cutoff, deleted: 0, batches: 0, stopped: false };
    for (;;) {
      if (this.stopping) {
        run.stopped = true;
        return run;
      }
      const result = await this.options.pool.query(
        `DELETE FROM samples
         WHERE ctid = ANY(ARRAY(SELECT ctid FROM samples WHERE ts < $1::timestamptz LIMIT $2))
           AND ts < $1::timestamptz`,
        [new Date(cutoff), batchSize],
      );
      const n = result.rowCount ?? 0;
      run.deleted += n;
      run.batches += 1;
      if (n < batchSize) {
        // The rollup follows once every expired sample is gone.
        await expireRollup(this.options.pool, cutoff);
        return run;
      }
      await sleep(this.options.pauseMs ?? 50);
    }
  }
}
