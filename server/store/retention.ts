import type pg from "pg";
import type { BackgroundService } from "../lifecycle/service-set";
import { log as rootLog, type Logger } from "../log";
import { dayExpired, daysAround } from "./day-partitions";
import { dayPartitions, dropDayPartition, ensureDayPartitions, type SamplesLayout, samplesLayout } from "./partition-store";
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

/** Sizes summed over the leaf tables of `samples` (its partitions, or the table itself when it is plain). */
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
    `WITH leaves AS (SELECT t.relid, greatest(c.reltuples, 0) AS est FROM pg_partition_tree('samples') t JOIN pg_class c ON c.oid = t.relid WHERE t.isleaf)
     SELECT pg_database_size(current_database()) AS db,
            (SELECT coalesce(sum(pg_relation_size(relid)), 0) FROM leaves) AS heap,
            (SELECT coalesce(sum(pg_indexes_size(relid)), 0) FROM leaves) AS idx,
            (SELECT coalesce(sum(pg_total_relation_size(relid)), 0) FROM leaves) AS total,
            pg_total_relation_size('series') AS series,
            (SELECT coalesce(sum(est), 0)::bigint FROM leaves) AS est,
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
  /** How the expired samples went: whole day partitions dropped, or rows deleted (a plain table). */
  layout: SamplesLayout;
  /** Samples removed: exact for deleted rows, the planner's estimate for dropped partitions. */
  deleted: number;
  /** Days whose partitions were dropped (UTC midnights, epoch ms). */
  droppedDays: number[];
  /** DELETE statements run (a plain table only). */
  batches: number;
  /** Day partitions made ahead of time in this run. */
  createdDays: number;
  stopped: boolean;
}

/** Days before today, and after it, whose partitions are kept ready. */
const DAYS_BEHIND = 1;
const DAYS_AHEAD = 3;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Expires samples older than the retention period and keeps the day partitions ahead
 * of writes. On the partitioned layout (Loopscope's own), a day goes once every sample
 * it can hold is past the retention: its `samples`, `samples_1m` and `samples_5m` partitions are
 * dropped together (no row is read or deleted, so retention costs the same whatever
 * the day holds; samples live up to one day past the retention). The partitions of
 * yesterday to three days ahead are made if missing, so writes never wait for one.
 * On a plain table (moved to TimescaleDB, Citus, pg_partman…), it deletes rows in ctid
 * batches of `batchSize` (each its own short transaction), pausing between batches,
 * and then drops the rollup minutes and five-minute blocks before the cutoff and recomputes the cutoff's.
 * A stop request ends the run after the current step. Stale markers older than the
 * cutoff are deleted in both layouts.
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
        if (run.deleted > 0 || run.droppedDays.length > 0) {
          this.log.info({ ...run, droppedDays: run.droppedDays.map((d) => new Date(d).toISOString().slice(0, 10)) }, "expired samples removed");
        }
      },
      everyMs: options.intervalMs ?? 600_000,
      onError: (error) => this.log.warn({ err: error instanceof Error ? error.message : String(error) }, "retention pass failed"),
      unref: true,
    });
  }

  /** The first pass runs at once: it also makes today's and the next days' partitions. */
  async start(): Promise<void> {
    this.stopping = false;
    this.loop.start(0);
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
    const now = this.now();
    const cutoff = now - this.options.retentionMs;
    const layout = await samplesLayout(this.options.pool);
    const run: RetentionRun = { cutoff, layout, deleted: 0, droppedDays: [], batches: 0, createdDays: 0, stopped: false };
    if (layout === "partitioned") {
      run.createdDays = await ensureDayPartitions(this.options.pool, daysAround(now, DAYS_BEHIND, DAYS_AHEAD));
      for (const day of await dayPartitions(this.options.pool)) {
        if (!dayExpired(day, cutoff)) break;
        if (this.stopping) {
          run.stopped = true;
          return run;
        }
        const dropped = await dropDayPartition(this.options.pool, day);
        run.droppedDays.push(day);
        run.deleted += dropped.estimatedSamples;
      }
    } else if (!(await this.deleteRows(run))) {
      return run;
    }
    await this.options.pool.query("DELETE FROM stale_markers WHERE ts < $1::timestamptz", [new Date(cutoff)]);
    return run;
  }

  /** The plain layout: deletes expired rows in batches; false when stopped before the end. */
  private async deleteRows(run: RetentionRun): Promise<boolean> {
    const batchSize = this.options.batchSize ?? 50_000;
    for (;;) {
      if (this.stopping) {
        run.stopped = true;
        return false;
      }
      const result = await this.options.pool.query(
        `DELETE FROM samples
         WHERE ctid = ANY(ARRAY(SELECT ctid FROM samples WHERE ts < $1::timestamptz LIMIT $2))
           AND ts < $1::timestamptz`,
        [new Date(run.cutoff), batchSize],
      );
      const n = result.rowCount ?? 0;
      run.deleted += n;
      run.batches += 1;
      if (n < batchSize) {
        // The rollup follows once every expired sample is gone.
        await expireRollup(this.options.pool, run.cutoff);
        return true;
      }
      await sleep(this.options.pauseMs ?? 50);
    }
  }
}
