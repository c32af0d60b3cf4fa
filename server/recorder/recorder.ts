import type pg from "pg";
import type { Registry } from "prom-client";
import type { BackgroundService } from "../lifecycle/service-set";
import { RejectionBook, type SourceRejections } from "../ingest/rejection-book";
import { DEFAULT_SAMPLE_LIMITS, type Rejection, type SampleLimits, seriesRejection, timestampRejection } from "../ingest/sample-limits";
import { log as rootLog, type Logger } from "../log";
import { writeIsolatingPoison } from "../store/poison-isolation";
import { type DuplicateStrategy, SampleWriter } from "../store/sample-writer";
import { SeriesStore } from "../store/series-store";
import { type RecorderMetrics, recorderMetrics } from "./recorder-metrics";
import { collectRegistry } from "./registry-collector";
import { type SampleBatch, SampleBuffer } from "./sample-buffer";
import { describeSeries, type RecordedSample, SELF_SOURCE, type SeriesDescriptor } from "./sample";
import { type ScrapedFamily, scrapedSamples } from "./scrape-families";
import { endReplicaSeries, takeoverMarking } from "./replica-takeover";
import { INSERT_MARKERS_SQL, type PendingMarker, StalenessTracker } from "./staleness";

export interface RecorderOptions {
  /** Connections for writes (series upserts and COPY). */
  pool: pg.Pool;
  /** The in-process registry collected every interval (omit to record pushed samples only). */
  registry?: Registry;
  /** Where the recorder's own metrics are registered; defaults to `registry`. */
  metricsRegistry?: Registry;
  /** LOOPSCOPE_SCRAPE_INTERVAL: how often the in-process registry is collected. */
  intervalMs?: number;
  /** LOOPSCOPE_BUFFER_SAMPLES: samples held at most while the database is unavailable. */
  bufferCapacity?: number;
  /** Samples per write transaction at most. */
  maxBatchSamples?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  duplicateStrategy?: DuplicateStrategy;
  /**
   * What a sample may look like (server/ingest). Default: label limits and the storable
   * years only; the wiring adds the window around now from the configuration.
   */
  limits?: SampleLimits;
  log?: Logger;
  now?: () => number;
}

/** What a UI banner needs to say about recording. */
export interface RecorderStatus {
  /** The last write failed; samples are being buffered and retried. */
  degraded: boolean;
  buffered: number;
  capacity: number;
  /** Samples dropped (oldest first) because the buffer was full. */
  dropped: number;
  written: number;
  /** Samples refused at the edge or rejected by the database (never retried), all sources. */
  rejected: number;
  writeErrors: number;
  lastError: string | null;
  lastErrorAt: number | null;
  lastFlushAt: number | null;
  /** When the next retry is due (epoch ms), while degraded. */
  nextRetryAt: number | null;
  intervalMs: number;
}

/** A series descriptor interned by the recorder, with the last timestamp it accepted. */
interface TrackedSeries extends SeriesDescriptor {
  lastTs: number;
  /** When a sample of this series was last accepted (wall clock, ms). */
  seenAt: number;
}

/** Series without samples for this long are forgotten by the in-memory caches. */
const IDLE_SERIES_MS = 60 * 60_000;

/** Staleness markers held at most while the database is unavailable (the oldest are dropped first). */
const MAX_PENDING_MARKERS = 100_000;
/** Consecutive failed writes after which the recorder is reported not ready. */
export const UNREADY_AFTER_FAILURES = 5;

/**
 * Samples every metric into Postgres as Prometheus would store it. Every interval it
 * collects the in-process registry; scrape targets push their parsed samples through
 * `recordScrape`. Samples go through a bounded buffer and are written in batches, one
 * transaction each. While the database is unavailable they wait in the buffer and
 * are retried with exponential backoff; when the buffer is full the oldest are
 * dropped and counted. Within the bound nothing is lost, and because the samples'
 * primary key makes rewrites no-ops, a batch replayed after an ambiguous failure is
 * stored exactly once.
 */
export class Recorder implements BackgroundService {
  readonly name = "recorder";
  private readonly buffer: SampleBuffer;
  private readonly series: SeriesStore;
  private readonly writer: SampleWriter;
  private readonly metrics?: RecorderMetrics;
  private readonly tracked = new Map<string, TrackedSeries>();
  private readonly byKey = new Map<string, TrackedSeries>();
  private readonly staleness = new StalenessTracker();
  private markers: PendingMarker[] = [];
  private readonly rejections = new RejectionBook();
  private readonly limits: SampleLimits;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly intervalMs: number;
  private readonly maxBatch: number;
  private readonly retryInitialMs: number;
  private readonly retryMaxMs: number;
  private interval?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private nextRetryAt: number | null = null;
  private draining?: Promise<boolean>;
  private drainQueued = false;
  private failures = 0;
  private written = 0;
  private writeErrors = 0;
  private lastError: string | null = null;
  private lastErrorAt: number | null = null;
  private lastFlushAt: number | null = null;
  private stopped = false;

  constructor(private readonly options: RecorderOptions) {
    this.log = (options.log ?? rootLog).child({ component: "recorder" });
    this.now = options.now ?? Date.now;
    this.intervalMs = options.intervalMs ?? 5_000;
    this.buffer = new SampleBuffer(options.bufferCapacity ?? 1_000_000);
    // Keep a batch well below the bound so new samples still fit while one is in flight.
    this.maxBatch = Math.max(1, Math.min(options.maxBatchSamples ?? 50_000, Math.floor(this.buffer.capacity / 4)));
    this.retryInitialMs = options.retryInitialMs ?? 500;
    this.retryMaxMs = options.retryMaxMs ?? 30_000;
    this.limits = options.limits ?? { ...DEFAULT_SAMPLE_LIMITS, maxAgeMs: 0, maxFutureMs: 0 };
    this.series = new SeriesStore(options.pool);
    this.writer = new SampleWriter(options.pool, { strategy: options.duplicateStrategy });
    const metricsRegistry = options.metricsRegistry ?? options.registry;
    if (metricsRegistry) this.metrics = recorderMetrics(metricsRegistry);
  }

  async start(): Promise<void> {
    this.stopped = false;
    if (!this.options.registry) return;
    let prunedAt = this.now();
    this.interval = setInterval(() => {
      this.collect().catch((error: unknown) => this.log.error({ err: error }, "collecting the in-process registry failed"));
      if (this.now() - prunedAt > 10 * 60_000) {
        prunedAt = this.now();
        this.forgetIdleSeries(prunedAt);
      }
    }, this.intervalMs);
  }

  /**
   * Stops collecting, marks every series this replica recorded stale (its samples end
   * here, so sums across replicas stop counting it at once instead of 5 minutes later),
   * and makes one bounded last attempt to write what is buffered.
   */
  async stop(flushBudgetMs = 2_000): Promise<void> {
    const now = this.now();
    for (const source of this.staleness.sources()) this.endSource(source, now);
    this.stopped = true;
    clearInterval(this.interval);
    this.interval = undefined;
    this.clearRetry();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), flushBudgetMs);
    });
    const flushed = await Promise.race([this.flush(), timeout]);
    clearTimeout(timer);
    if (!flushed && this.buffer.size > 0) this.log.warn({ buffered: this.buffer.size }, "stopping with unwritten samples");
  }

  /** Collects the in-process registry now (stamped `ts`, default now); returns samples accepted. */
  async collect(ts = this.now()): Promise<number> {
    if (!this.options.registry) return 0;
    return this.recordSnapshot(SELF_SOURCE, await collectRegistry(this.options.registry, ts), ts);
  }

  /**
   * Accepts one scrape of a target: parsed families, stamped with the exporter's
   * timestamps where given and `ts` (the scrape time, epoch ms) otherwise. `source`
   * is "target:<id>". Returns the number of samples accepted into the buffer.
   */
  recordScrape(source: string, families: readonly ScrapedFamily[], ts: number): number {
    return this.recordSnapshot(source, scrapedSamples(families, ts), ts);
  }

  /**
   * Ends every series of `source` now with a staleness marker (a scrape target that was
   * removed or disabled, or whose scraping stopped in this replica).
   */
  endSource(source: string, ts = this.now()): void {
    this.queueMarkers(this.staleness.end(source), ts);
  }

  /**
   * Forgets which series `source` had, without ending them: its target moved to another
   * replica's scrape shard, which goes on recording the same series.
   */
  forgetSource(source: string): void {
    this.staleness.end(source);
  }

  /**
   * `identity` took over the expired lease of `previousHolder` at `at`: ends that dead
   * replica's recent series (see replica-takeover.ts). Never throws; resolves the count.
   */
  async endReplica(previousHolder: string, identity: string, at: number): Promise<number> {
    const marking = takeoverMarking(previousHolder, identity, at);
    if (!marking) return 0;
    try {
      const ended = await endReplicaSeries(this.options.pool, marking);
      this.metrics?.staleMarkers.inc(ended);
      this.log.info({ replica: marking.replica, ended }, "ended the series of the replica whose lease was taken over");
      return ended;
    } catch (error) {
      this.log.warn({ replica: marking.replica, err: error instanceof Error ? error.message : String(error) }, "could not end the series of the replica whose lease was taken over");
      return 0;
    }
  }

  /** Records a whole snapshot of a source; the series missing from it since the last one end at `ts`. */
  private recordSnapshot(source: string, samples: readonly RecordedSample[], ts: number): number {
    const present = new Set<SeriesDescriptor>();
    const accepted = this.record(source, samples, present);
    this.queueMarkers(this.staleness.next(source, present), Math.trunc(ts));
    return accepted;
  }

  private queueMarkers(series: readonly SeriesDescriptor[], ts: number): void {
    if (series.length === 0 || !Number.isFinite(ts)) return;
    for (const s of series) this.markers.push({ series: s, ts });
    if (this.markers.length > MAX_PENDING_MARKERS) this.markers = this.markers.slice(this.markers.length - MAX_PENDING_MARKERS);
    this.metrics?.staleMarkers.inc(series.length);
    this.scheduleDrain();
  }

  /**
   * Accepts samples from `source`. A sample repeating its series' previous timestamp is
   * skipped (exporters with fixed timestamps); samples outside the limits (a timestamp
   * out of the accepted window, too many or too long labels) are refused and counted per
   * source, the others accepted. Returns the number accepted.
   */
  record(source: string, samples: readonly RecordedSample[], present?: Set<SeriesDescriptor>): number {
    let accepted = 0;
    let dropped = 0;
    const seenAt = this.now();
    for (const sample of samples) {
      const ts = Math.trunc(sample.ts);
      const refused = timestampRejection(ts, seenAt, this.limits) ?? seriesRejection(sample.metric, sample.labels, this.limits);
      if (refused) {
        this.reject(source, refused, seenAt);
        continue;
      }
      const series = this.intern(source, sample);
      series.seenAt = seenAt;
      if (present && !sample.explicitTimestamp) present.add(series);
      if (series.lastTs === ts) continue;
      series.lastTs = ts;
      dropped += this.buffer.push(series, ts, sample.value);
      accepted += 1;
    }
    if (dropped > 0) {
      this.metrics?.dropped.inc(dropped);
      this.log.warn({ dropped, capacity: this.buffer.capacity }, "recorder buffer full: dropped the oldest samples");
    }
    this.metrics?.buffered.set(this.buffer.size);
    if (accepted > 0) this.scheduleDrain();
    return accepted;
  }

  /**
   * Writes everything buffered now, retrying nothing: resolves true when the buffer is
   * empty, false if a write failed (the samples stay buffered for the next retry).
   */
  async flush(): Promise<boolean> {
    this.clearRetry();
    if (this.draining) await this.draining;
    while (this.buffer.queuedCount > 0 || this.markers.length > 0) {
      this.drainQueued = false;
      const ok = await this.startDrain();
      if (!ok) return false;
    }
    return this.buffer.size === 0;
  }

  status(): RecorderStatus {
    return {
      degraded: this.failures > 0,
      buffered: this.buffer.size,
      capacity: this.buffer.capacity,
      dropped: this.buffer.dropped,
      written: this.written,
      rejected: this.rejections.total,
      writeErrors: this.writeErrors,
      lastError: this.lastError,
      lastErrorAt: this.lastErrorAt,
      lastFlushAt: this.lastFlushAt,
      nextRetryAt: this.nextRetryAt,
      intervalMs: this.intervalMs,
    };
  }

  /** What was refused from `source` (e.g. "target:3"), or from every source. */
  rejected(source: string): SourceRejections | undefined {
    return this.rejections.of(source);
  }

  allRejected(): SourceRejections[] {
    return this.rejections.all();
  }

  /** Whether writes have kept failing (the database refuses them or is unreachable). */
  get writesFailing(): boolean {
    return this.failures >= UNREADY_AFTER_FAILURES;
  }

  /**
   * Counts samples refused by another ingest path (remote write) against `source`, so
   * readiness, the metrics and the per-source counts cover every way samples arrive.
   */
  refuse(source: string, rejection: Rejection, count = 1): void {
    if (count > 0) this.reject(source, rejection, this.now(), count);
  }

  private reject(source: string, rejection: Rejection, at: number, count = 1): void {
    const first = this.rejections.of(source) === undefined;
    this.rejections.add(source, rejection, at, count);
    this.metrics?.rejected.inc({ reason: rejection.reason }, count);
    // Logged once per source (the Targets page and readyz keep the running count), not per sample.
    if (first) this.log.warn({ source, reason: rejection.reason, problem: rejection.message }, "refused samples from a source; counting further ones");
  }

  /**
   * The tracked series of a sample. The sha256 identity is computed once per distinct
   * (source, name, labels in arrival order); later samples find their series by that
   * cheaper key, and label orders that differ still share one series via the hash.
   */
  private intern(source: string, sample: RecordedSample): TrackedSeries {
    let key = `${source}\u0000${sample.metric}`;
    for (const name in sample.labels) key += `\u0000${name}\u0001${sample.labels[name]}`;
    const known = this.byKey.get(key);
    if (known) return known;
    const descriptor = describeSeries(source, sample);
    let tracked = this.tracked.get(descriptor.hash);
    if (!tracked) {
      tracked = { ...descriptor, labels: { ...descriptor.labels }, lastTs: Number.NaN, seenAt: 0 };
      this.tracked.set(descriptor.hash, tracked);
    }
    this.byKey.set(key, tracked);
    return tracked;
  }

  /**
   * Forgets series that had no sample for an hour (pods come and go; label values
   * churn), so the caches stay proportional to the live series. A forgotten series
   * that returns is looked up again by its hash.
   */
  forgetIdleSeries(now = this.now()): number {
    const before = this.tracked.size;
    for (const [hash, series] of this.tracked) {
      if (now - series.seenAt > IDLE_SERIES_MS) {
        this.tracked.delete(hash);
        this.series.forget(hash);
      }
    }
    for (const [key, series] of this.byKey) if (now - series.seenAt > IDLE_SERIES_MS) this.byKey.delete(key);
    return before - this.tracked.size;
  }

  /** Starts a drain on the next turn (so samples recorded together share a batch). */
  private scheduleDrain(): void {
    if (this.draining || this.drainQueued || this.retryTimer || this.stopped) return;
    this.drainQueued = true;
    setImmediate(() => {
      if (!this.drainQueued) return;
      this.drainQueued = false;
      if (!this.draining && !this.retryTimer) void this.startDrain();
    });
  }

  private startDrain(): Promise<boolean> {
    if (this.draining) return this.draining;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  private async drain(): Promise<boolean> {
    for (let batch = this.buffer.take(this.maxBatch); batch; batch = this.buffer.take(this.maxBatch)) {
      const started = performance.now();
      try {
        await this.writeBatch(batch);
      } catch (error) {
        this.onWriteFailed(batch, error);
        return false;
      }
      this.buffer.commit(batch);
      this.onWriteSucceeded(batch, (performance.now() - started) / 1000);
    }
    if (this.markers.length > 0) {
      const markers = this.markers;
      this.markers = [];
      try {
        await this.writeMarkers(markers);
      } catch (error) {
        this.markers = [...markers, ...this.markers];
        this.onWriteFailed(undefined, error);
        return false;
      }
    }
    return true;
  }

  private async writeMarkers(markers: readonly PendingMarker[]): Promise<void> {
    const ids = await this.series.resolve(markers.map((m) => m.series));
    await this.options.pool.query(INSERT_MARKERS_SQL, [markers.map((m) => ids.get(m.series.hash)), markers.map((m) => m.ts)]);
  }

  /**
   * Writes a batch; rows the database refuses for their data (a poison row) are isolated
   * by bisection, dropped and counted against their source, and the rest is stored, so
   * one bad sample never blocks the buffer. Other failures throw (the batch is retried).
   */
  private async writeBatch(batch: SampleBatch): Promise<void> {
    const poison = await writeIsolatingPoison(batch.length, async (start, end) => {
      const series = batch.series.slice(start, end);
      const ids = await this.series.resolve(series);
      const seriesIds = new Int32Array(end - start);
      for (let i = 0; i < series.length; i += 1) seriesIds[i] = ids.get(series[i].hash)!;
      await this.writer.write({ seriesIds, ts: batch.ts.subarray(start, end), values: batch.values.subarray(start, end), length: end - start });
    });
    const at = this.now();
    for (const row of poison) {
      const series = batch.series[row.index];
      this.reject(series.source, { reason: "write_rejected", message: `the database refused a sample of ${series.metric}: ${row.error}` }, at);
    }
  }

  private onWriteSucceeded(batch: SampleBatch, seconds: number): void {
    if (this.failures > 0) this.log.info({ buffered: this.buffer.size, failures: this.failures }, "database writes recovered");
    this.failures = 0;
    this.nextRetryAt = null;
    this.written += batch.length;
    this.lastFlushAt = this.now();
    this.metrics?.written.inc(batch.length);
    this.metrics?.lastFlush.set(this.lastFlushAt / 1000);
    this.metrics?.flushDuration.observe(seconds);
    this.metrics?.buffered.set(this.buffer.size);
  }

  private onWriteFailed(batch: SampleBatch | undefined, error: unknown): void {
    const dropped = batch ? this.buffer.restore(batch) : 0;
    if (dropped > 0) this.metrics?.dropped.inc(dropped);
    this.failures += 1;
    this.writeErrors += 1;
    this.lastError = error instanceof Error ? error.message : String(error);
    this.lastErrorAt = this.now();
    this.metrics?.writeErrors.inc();
    this.metrics?.buffered.set(this.buffer.size);
    const delay = Math.min(this.retryMaxMs, this.retryInitialMs * 2 ** Math.min(this.failures - 1, 20));
    this.log.warn({ err: this.lastError, buffered: this.buffer.size, dropped, retryInMs: delay }, "writing samples failed; will retry");
    if (this.stopped) return;
    this.nextRetryAt = this.now() + delay;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.startDrain();
    }, delay);
  }

  private clearRetry(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}

