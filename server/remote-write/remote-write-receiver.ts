import type pg from "pg";
import { Counter, Gauge, type Registry } from "prom-client";
import { acceptedTimestamps, DEFAULT_SAMPLE_LIMITS, type Rejection, type RejectionReason, type SampleLimits, timestampRejection } from "../ingest/sample-limits";
import type { BackgroundService } from "../lifecycle/service-set";
import { log as rootLog, type Logger } from "../log";
import { describeSeries, type SeriesDescriptor } from "../recorder/sample";
import { INSERT_MARKERS_SQL } from "../recorder/staleness";
import { writeIsolatingPoison } from "../store/poison-isolation";
import { SampleWriter } from "../store/sample-writer";
import { SeriesStore } from "../store/series-store";
import { FamilyTypes, REMOTE_WRITE_SOURCE, remoteSeries } from "./remote-series";
import type { DecodedWriteRequest, RemoteSeries } from "./write-request";

/** What happened to the samples of one accepted request. */
export interface WriteCounts {
  /** Samples newly stored. */
  stored: number;
  /** Staleness markers newly stored. */
  staleMarkers: number;
  /** Samples (or markers) already stored with the same value: a resend, accepted and not stored again. */
  duplicate: number;
  /** Dropped: older than their series' latest sample. */
  outOfOrder: number;
  /** Dropped: a stored timestamp with another value. */
  duplicateTimestamp: number;
  /** Dropped by the sample limits (server/ingest): invalid series, label limits, timestamps out of the window. */
  refused: number;
}

export type WriteOutcome =
  | { kind: "stored"; counts: WriteCounts }
  /** The write buffer is full: retry after `retryAfterS` (HTTP 503). */
  | { kind: "busy"; retryAfterS: number; message: string }
  /** The database did not take the batch (unreachable, failing): retry after `retryAfterS` (HTTP 503). */
  | { kind: "failed"; retryAfterS: number; message: string };

export interface RemoteWriteReceiverOptions {
  pool: pg.Pool;
  /** The sample limits shared with scrapes (server/ingest). */
  limits?: SampleLimits;
  /** LOOPSCOPE_REMOTE_WRITE_BUFFER_SAMPLES: samples accepted but not yet committed, at most. */
  capacitySamples?: number;
  /** Samples per write transaction at most (requests are committed together up to this). */
  maxBatchSamples?: number;
  /** Counts refused samples where every ingest path's refusals are counted (the recorder). */
  onRefused?: (source: string, rejection: Rejection, count: number) => void;
  metricsRegistry?: Registry;
  log?: Logger;
  now?: () => number;
}

interface Pending {
  request: DecodedWriteRequest;
  /** The request's series, described (or refused) on arrival, so that work overlaps the batch being written. */
  described: (SeriesDescriptor | Rejection)[];
  /** Its series' identities (descriptor hashes), which batches in flight together must not share. */
  hashes: string[];
  resolve: (outcome: WriteOutcome) => void;
}

/** Stands for a series sent without samples (nothing to describe or store). */
const EMPTY_SERIES: Rejection = { reason: "label_name_invalid", message: "a series without samples" };

/** Batches committed at once, each on its own connection. */
const COMMITS_AT_ONCE = 2;

/** The series of a request that will be written (refused ones have no identity). */
function seriesHashes(described: readonly (SeriesDescriptor | Rejection)[]): string[] {
  const hashes: string[] = [];
  for (const d of described) if (!("reason" in d)) hashes.push(d.hash);
  return hashes;
}

/** Caches bigger than this are cleared (and refilled from the database on demand). */
const MAX_CACHED_SERIES = 1_000_000;

function emptyCounts(): WriteCounts {
  return { stored: 0, staleMarkers: 0, duplicate: 0, outOfOrder: 0, duplicateTimestamp: 0, refused: 0 };
}

/** Latest stored sample time (epoch ms) of each series id; null when it has none. */
const LATEST_SQL = `
SELECT k.id, (SELECT date_part('epoch', ts) * 1000 FROM samples WHERE series_id = k.id ORDER BY ts DESC LIMIT 1) AS t
FROM unnest($1::int[]) AS k(id)`;

/**
 * For (series id, epoch ms) pairs at or before their series' latest: the value stored
 * there, and whether a marker is. One key probe per pair (a lateral with LIMIT, so the
 * planner cannot turn it into a hash join over every partition of `samples`).
 */
const STORED_AT_SQL = `
SELECT k.i, s.value, (m.found IS NOT NULL) AS marker, (s.found IS NOT NULL) AS sample
FROM unnest($1::int[], $2::float8[], $3::int[]) AS k(id, t, i)
LEFT JOIN LATERAL (SELECT value, true AS found FROM samples WHERE series_id = k.id AND ts = to_timestamp(k.t / 1000) LIMIT 1) s ON true
LEFT JOIN LATERAL (SELECT true AS found FROM stale_markers WHERE series_id = k.id AND ts = to_timestamp(k.t / 1000) LIMIT 1) m ON true`;

interface ReceiverMetrics {
  samples: Counter<"result">;
  pending: Gauge;
}

function receiverMetrics(registry: Registry): ReceiverMetrics {
  const registers = [registry];
  return {
    samples:
      (registry.getSingleMetric("loopscope_remote_write_samples_total") as Counter<"result"> | undefined) ??
      new Counter({
        name: "loopscope_remote_write_samples_total",
        help: "Remote-written samples by what became of them: stored, stale_marker, duplicate (a resend), out_of_order, duplicate_timestamp, refused.",
        labelNames: ["result"],
        registers,
      }),
    pending:
      (registry.getSingleMetric("loopscope_remote_write_pending_samples") as Gauge | undefined) ??
      new Gauge({ name: "loopscope_remote_write_pending_samples", help: "Remote-written samples accepted and not yet committed.", registers }),
  };
}

/**
 * Takes Prometheus remote-write requests into the Postgres store. A request is answered
 * only once its samples are committed (or known to be stored already), so a sender that
 * got 2xx never needs to resend, and one that resends after a timeout or a restart
 * stores nothing twice: samples at a stored timestamp with the same value are
 * duplicates, accepted and not stored again. As Prometheus's receiver does, a sample
 * older than its series' latest is dropped as out of order, and one at a stored
 * timestamp with another value as a duplicate timestamp; both are counted, the rest of
 * the request is stored. Staleness markers (Prometheus's stale NaN) go to
 * `stale_markers`. Requests waiting together are committed in one transaction (group
 * commit), two such batches at once on their own connections when their series are
 * disjoint; when the accepted-but-uncommitted samples would pass the capacity, a request
 * is refused at once with a time to retry after, so memory stays bounded.
 */
export class RemoteWriteReceiver implements BackgroundService {
  readonly name = "remote-write";
  private readonly limits: SampleLimits;
  private readonly capacity: number;
  private readonly maxBatch: number;
  private readonly series: SeriesStore;
  private readonly writer: SampleWriter;
  private readonly families = new FamilyTypes();
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly metrics?: ReceiverMetrics;
  /** Identity of a series by its label pairs as sent (skips re-hashing a series seen before). */
  private readonly descriptors = new Map<string, SeriesDescriptor>();
  /** Latest committed sample time of each series id (absent: not looked up yet). */
  private readonly latest = new Map<number, number>();
  private queue: Pending[] = [];
  private pendingSamples = 0;
  private pumpScheduled = false;
  /** Batches being committed. */
  private readonly inFlight: Promise<void>[] = [];
  /** Series (descriptor hashes) of the batches being committed. */
  private readonly busySeries = new Set<string>();
  private stopped = false;
  private failures = 0;
  /** Committed samples per second, smoothed (for Retry-After). */
  private throughput = 0;

  constructor(private readonly options: RemoteWriteReceiverOptions) {
    this.limits = options.limits ?? DEFAULT_SAMPLE_LIMITS;
    this.capacity = options.capacitySamples ?? 500_000;
    this.maxBatch = options.maxBatchSamples ?? 50_000;
    this.series = new SeriesStore(options.pool);
    this.writer = new SampleWriter(options.pool);
    this.log = (options.log ?? rootLog).child({ component: "remote-write" });
    this.now = options.now ?? Date.now;
    if (options.metricsRegistry) this.metrics = receiverMetrics(options.metricsRegistry);
  }

  async start(): Promise<void> {
    this.stopped = false;
  }

  /** Refuses new requests, lets the batch being written finish, and answers the waiting ones "retry". */
  async stop(): Promise<void> {
    this.stopped = true;
    const waiting = this.queue;
    this.queue = [];
    for (const p of waiting) this.settle(p, { kind: "failed", retryAfterS: 1, message: "Loopscope is stopping; retry." });
    await Promise.all(this.inFlight);
  }

  /** Samples accepted and not yet committed. */
  get pending(): number {
    return this.pendingSamples;
  }

  /** Takes one decoded request; resolves once it is committed, or at once when it is refused. */
  write(request: DecodedWriteRequest): Promise<WriteOutcome> {
    if (this.stopped) return Promise.resolve({ kind: "failed", retryAfterS: 1, message: "Loopscope is stopping; retry." });
    if (request.samples > 0 && this.pendingSamples > 0 && this.pendingSamples + request.samples > this.capacity) {
      return Promise.resolve({
        kind: "busy",
        retryAfterS: this.retryAfterS(),
        message: `The remote-write buffer is full (${this.pendingSamples} of ${this.capacity} samples waiting, LOOPSCOPE_REMOTE_WRITE_BUFFER_SAMPLES); retry later.`,
      });
    }
    // Metadata first: a request's own MetricMetadata types its series.
    this.families.learn(request.metadata);
    const described = request.series.map((s) => (s.count === 0 ? EMPTY_SERIES : this.describe(s)));
    return new Promise<WriteOutcome>((resolve) => {
      this.queue.push({ request, described, hashes: seriesHashes(described), resolve });
      this.pendingSamples += request.samples;
      this.metrics?.pending.set(this.pendingSamples);
      // Requests that arrive together share a transaction: batches are cut once this turn's arrivals are queued.
      if (!this.pumpScheduled) {
        this.pumpScheduled = true;
        setImmediate(() => {
          this.pumpScheduled = false;
          this.pump();
        });
      }
    });
  }

  private settle(p: Pending, outcome: WriteOutcome): void {
    this.pendingSamples -= p.request.samples;
    this.metrics?.pending.set(this.pendingSamples);
    p.resolve(outcome);
  }

  /** Seconds until the backlog is likely written (1–30 s). */
  private retryAfterS(): number {
    const rate = this.throughput > 0 ? this.throughput : 10_000;
    return Math.min(30, Math.max(1, Math.ceil(this.pendingSamples / rate)));
  }

  /**
   * Starts committing queued requests, up to COMMITS_AT_ONCE batches at a time (on their
   * own connections, so one batch's decoding and classifying overlaps another's SQL).
   * Batches in flight together never share a series: a request with a series of a batch
   * being written waits (and so does every request behind it, keeping the arrival order),
   * so each series' samples are still classified and written one batch after the other.
   */
  private pump(): void {
    while (this.inFlight.length < COMMITS_AT_ONCE && this.queue.length > 0 && !this.stopped) {
      const batch = this.takeBatch();
      if (batch.length === 0) return;
      const done = this.commitBatch(batch);
      this.inFlight.push(done);
      void done.finally(() => {
        this.inFlight.splice(this.inFlight.indexOf(done), 1);
        for (const p of batch) for (const hash of p.hashes) this.busySeries.delete(hash);
        this.pump();
      });
    }
  }

  /**
   * Takes requests off the queue's front for one batch: what is waiting shared out over
   * the free commit slots, at most maxBatch samples, stopping at a request with a series
   * in flight.
   */
  private takeBatch(): Pending[] {
    let waiting = 0;
    for (const p of this.queue) waiting += p.request.samples;
    const limit = Math.min(this.maxBatch, Math.ceil(waiting / (COMMITS_AT_ONCE - this.inFlight.length)));
    let samples = 0;
    let n = 0;
    while (n < this.queue.length && (n === 0 || samples + this.queue[n].request.samples <= limit)) {
      const p = this.queue[n];
      if (this.inFlight.length > 0 && p.hashes.some((hash) => this.busySeries.has(hash))) break;
      samples += p.request.samples;
      n += 1;
    }
    const batch = this.queue.slice(0, n);
    this.queue = this.queue.slice(n);
    for (const p of batch) for (const hash of p.hashes) this.busySeries.add(hash);
    return batch;
  }

  private async commitBatch(batch: Pending[]): Promise<void> {
    let samples = 0;
    for (const p of batch) samples += p.request.samples;
    const started = performance.now();
    try {
      const outcomes = await this.commit(batch);
      for (let i = 0; i < batch.length; i += 1) this.settle(batch[i], outcomes[i]);
      this.failures = 0;
      const seconds = Math.max(1e-3, (performance.now() - started) / 1000);
      this.throughput = this.throughput === 0 ? samples / seconds : 0.8 * this.throughput + (0.2 * samples) / seconds;
    } catch (error) {
      this.failures += 1;
      const message = error instanceof Error ? error.message : String(error);
      this.log.warn({ err: message, requests: batch.length, samples }, "could not store remote-written samples; the senders will retry");
      const retryAfterS = Math.min(30, 2 ** Math.min(this.failures - 1, 5));
      for (const p of batch) this.settle(p, { kind: "failed", retryAfterS, message: "The database did not take the samples; retry." });
    }
  }

  /** The descriptor of a series as sent, or its refusal. */
  private describe(series: RemoteSeries): SeriesDescriptor | Rejection {
    const known = this.descriptors.get(series.labelKey);
    if (known) return known;
    const parsed = remoteSeries(series.labels, this.limits);
    if ("refused" in parsed) return parsed.refused;
    const descriptor = describeSeries(REMOTE_WRITE_SOURCE, { metric: parsed.metric, labels: parsed.labels, ...this.families.of(parsed.metric) });
    if (this.descriptors.size >= MAX_CACHED_SERIES) {
      this.descriptors.clear();
      this.series.clearCache();
    }
    this.descriptors.set(series.labelKey, descriptor);
    return descriptor;
  }

  /** Stores a batch of requests in one transaction; their outcomes, in order. Throws when the database fails. */
  private async commit(batch: readonly Pending[]): Promise<WriteOutcome[]> {
    const now = this.now();
    const counts = batch.map(() => emptyCounts());
    const refusals: { rejection: Rejection; count: number }[] = [];
    const refuse = (k: number, rejection: Rejection, count: number) => {
      counts[k].refused += count;
      refusals.push({ rejection, count });
    };
    // Series of every request, refused ones counted.
    const descriptors: SeriesDescriptor[] = [];
    batch.forEach((p, k) => {
      p.request.series.forEach((s, j) => {
        const described = p.described[j];
        if (described === EMPTY_SERIES) return;
        if ("reason" in described) refuse(k, described, s.count);
        else descriptors.push(described);
      });
    });
    const ids = await this.series.resolve(descriptors);
    await this.lookUpLatest([...new Set(ids.values())].filter((id) => !this.latest.has(id)));

    // Classify every sample against its series' latest (committed, or earlier in this batch).
    const last = new Map<number, number>();
    const rows = { ids: [] as number[], ts: [] as number[], values: [] as number[] };
    const markers = { ids: [] as number[], ts: [] as number[] };
    const markerOf: number[] = []; // request index of each marker row
    const rowOf: number[] = []; // request index of each sample row
    const older: { k: number; id: number; ts: number; value: number; stale: boolean }[] = [];
    const accepted = acceptedTimestamps(now, this.limits);
    for (let k = 0; k < batch.length; k += 1) {
      const { request, described } = batch[k];
      const { timestamps, values, stale: staleAt } = request;
      for (let j = 0; j < request.series.length; j += 1) {
        const descriptor = described[j];
        if ("reason" in descriptor) continue;
        const s = request.series[j];
        const id = ids.get(descriptor.hash) as number;
        let latest = last.get(id) ?? this.latest.get(id) ?? Number.NEGATIVE_INFINITY;
        for (let i = s.first; i < s.first + s.count; i += 1) {
          const ts = Math.trunc(timestamps[i]);
          if (!(ts >= accepted.from && ts <= accepted.to)) {
            refuse(k, timestampRejection(ts, now, this.limits) ?? { reason: "timestamp", message: `sample timestamp ${ts} ms is not storable` }, 1);
            continue;
          }
          const stale = staleAt?.has(i) ?? false;
          if (ts <= latest) {
            older.push({ k, id, ts, value: values[i], stale });
            continue;
          }
          latest = ts;
          if (stale) {
            markers.ids.push(id);
            markers.ts.push(ts);
            markerOf.push(k);
          } else {
            rows.ids.push(id);
            rows.ts.push(ts);
            rows.values.push(values[i]);
            rowOf.push(k);
          }
        }
        last.set(id, latest);
      }
    }
    await this.classifyOlder(older, counts, rows, markers, refusals);

    const poison = await writeIsolatingPoison(rows.ids.length, async (start, end) => {
      await this.writer.write({ seriesIds: rows.ids.slice(start, end), ts: rows.ts.slice(start, end), values: rows.values.slice(start, end), length: end - start });
    });
    if (markers.ids.length > 0) await this.options.pool.query(INSERT_MARKERS_SQL, [markers.ids, markers.ts]);

    // Committed: remember the series' latest times, count, answer.
    if (this.latest.size + last.size > MAX_CACHED_SERIES) this.latest.clear();
    for (const [id, ts] of last) if (Number.isFinite(ts)) this.latest.set(id, ts);
    const poisoned = new Set(poison.map((p) => p.index));
    rowOf.forEach((k, i) => {
      if (poisoned.has(i)) counts[k].refused += 1;
      else counts[k].stored += 1;
    });
    for (const p of poison) refusals.push({ rejection: { reason: "write_rejected", message: `the database refused a sample: ${p.error}` }, count: 1 });
    for (const k of markerOf) counts[k].staleMarkers += 1;
    for (const { rejection, count } of refusals) this.options.onRefused?.(REMOTE_WRITE_SOURCE, rejection, count);
    this.count(counts);
    return counts.map((c) => ({ kind: "stored", counts: c }));
  }

  /** Reads the latest stored sample time of series not looked up yet. */
  private async lookUpLatest(ids: number[]): Promise<void> {
    for (let offset = 0; offset < ids.length; offset += 10_000) {
      const chunk = ids.slice(offset, offset + 10_000);
      const { rows } = await this.options.pool.query<{ id: number; t: number | null }>(LATEST_SQL, [chunk]);
      for (const row of rows) this.latest.set(row.id, row.t === null ? Number.NEGATIVE_INFINITY : Math.round(row.t));
    }
  }

  /**
   * Samples at or before their series' latest: a resend of what is stored (or written
   * earlier in this batch) with the same value is a duplicate; at a stored timestamp with
   * another value, a duplicate timestamp; anything else is out of order.
   */
  private async classifyOlder(
    older: readonly { k: number; id: number; ts: number; value: number; stale: boolean }[],
    counts: WriteCounts[],
    rows: { ids: number[]; ts: number[]; values: number[] },
    markers: { ids: number[]; ts: number[] },
    refusals: { rejection: Rejection; count: number }[],
  ): Promise<void> {
    if (older.length === 0) return;
    const inBatch = new Map<string, number>();
    for (let i = 0; i < rows.ids.length; i += 1) inBatch.set(`${rows.ids[i]}:${rows.ts[i]}`, rows.values[i]);
    const markersInBatch = new Set(markers.ids.map((id, i) => `${id}:${markers.ts[i]}`));
    const stored = new Map<number, { value: number | null; marker: boolean; sample: boolean }>();
    for (let offset = 0; offset < older.length; offset += 10_000) {
      const chunk = older.slice(offset, offset + 10_000);
      const { rows: found } = await this.options.pool.query<{ i: number; value: number | null; marker: boolean; sample: boolean }>(STORED_AT_SQL, [
        chunk.map((o) => o.id),
        chunk.map((o) => o.ts),
        chunk.map((_, i) => offset + i),
      ]);
      for (const row of found) stored.set(row.i, row);
    }
    const dropped: Partial<Record<RejectionReason, number>> = {};
    older.forEach((o, i) => {
      const key = `${o.id}:${o.ts}`;
      const at = stored.get(i);
      let verdict: "duplicate" | "out_of_order" | "duplicate_timestamp";
      if (o.stale) verdict = at?.marker || markersInBatch.has(key) ? "duplicate" : at?.sample || inBatch.has(key) ? "duplicate_timestamp" : "out_of_order";
      else if (at?.sample) verdict = Object.is(Number(at.value), o.value) ? "duplicate" : "duplicate_timestamp";
      else if (inBatch.has(key)) verdict = Object.is(inBatch.get(key), o.value) ? "duplicate" : "duplicate_timestamp";
      else verdict = at?.marker ? "duplicate_timestamp" : "out_of_order";
      if (verdict === "duplicate") counts[o.k].duplicate += 1;
      else if (verdict === "out_of_order") counts[o.k].outOfOrder += 1;
      else counts[o.k].duplicateTimestamp += 1;
      if (verdict !== "duplicate") dropped[verdict] = (dropped[verdict] ?? 0) + 1;
    });
    if (dropped.out_of_order) {
      refusals.push({ rejection: { reason: "out_of_order", message: "remote-written samples older than their series' latest sample were dropped" }, count: dropped.out_of_order });
    }
    if (dropped.duplicate_timestamp) {
      refusals.push({
        rejection: { reason: "duplicate_timestamp", message: "remote-written samples at a stored timestamp with another value were dropped" },
        count: dropped.duplicate_timestamp,
      });
    }
  }

  private count(counts: readonly WriteCounts[]): void {
    if (!this.metrics) return;
    const total = emptyCounts();
    for (const c of counts) for (const key of Object.keys(total) as (keyof WriteCounts)[]) total[key] += c[key];
    const m = this.metrics.samples;
    if (total.stored) m.inc({ result: "stored" }, total.stored);
    if (total.staleMarkers) m.inc({ result: "stale_marker" }, total.staleMarkers);
    if (total.duplicate) m.inc({ result: "duplicate" }, total.duplicate);
    if (total.outOfOrder) m.inc({ result: "out_of_order" }, total.outOfOrder);
    if (total.duplicateTimestamp) m.inc({ result: "duplicate_timestamp" }, total.duplicateTimestamp);
    if (total.refused) m.inc({ result: "refused" }, total.refused);
  }
}
