import type { SeriesDescriptor } from "./sample";

/** A batch of samples taken out of the buffer for one write (columnar, in arrival order). */
export interface SampleBatch {
  readonly series: SeriesDescriptor[];
  readonly ts: Float64Array;
  readonly values: Float64Array;
  readonly length: number;
}

interface Chunk {
  series: (SeriesDescriptor | undefined)[];
  ts: Float64Array;
  values: Float64Array;
  start: number;
  end: number;
}

const CHUNK_SIZE = 4_096;

function newChunk(size: number): Chunk {
  return { series: new Array(size), ts: new Float64Array(size), values: new Float64Array(size), start: 0, end: 0 };
}

/**
 * A bounded FIFO of samples waiting to be written. It never holds more than
 * `capacity` samples, counting the batch being written: when full, the oldest queued
 * sample is dropped (and counted) to make room. A batch is taken out with `take`,
 * and either `commit`ted after a successful write or `restore`d to the head (oldest
 * first again) after a failed one, so a sample is only gone once it is stored or
 * counted as dropped. (The batch in flight is never dropped: it may be committing.)
 */
export class SampleBuffer {
  private readonly chunks: Chunk[] = [];
  private queued = 0;
  private inFlight = 0;
  private droppedTotal = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`buffer capacity must be a positive integer, got ${capacity}`);
  }

  /** Samples held: queued plus the batch being written. */
  get size(): number {
    return this.queued + this.inFlight;
  }

  get queuedCount(): number {
    return this.queued;
  }

  /** Samples dropped for lack of room since the buffer was created. */
  get dropped(): number {
    return this.droppedTotal;
  }

  /** Appends one sample; returns how many samples had to be dropped to make room (0 or 1). */
  push(series: SeriesDescriptor, ts: number, value: number): number {
    let dropped = 0;
    if (this.size >= this.capacity) {
      if (this.queued === 0) {
        // Everything held is in flight: the newcomer is the one that cannot be kept.
        this.droppedTotal += 1;
        return 1;
      }
      dropped = this.dropOldest(1);
    }
    let tail = this.chunks[this.chunks.length - 1];
    if (!tail || tail.end === tail.ts.length) {
      tail = newChunk(CHUNK_SIZE);
      this.chunks.push(tail);
    }
    tail.series[tail.end] = series;
    tail.ts[tail.end] = ts;
    tail.values[tail.end] = value;
    tail.end += 1;
    this.queued += 1;
    return dropped;
  }

  /** Takes up to `max` of the oldest queued samples out for writing; undefined when empty. */
  take(max: number): SampleBatch | undefined {
    const n = Math.min(max, this.queued);
    if (n <= 0) return undefined;
    const series: SeriesDescriptor[] = new Array(n);
    const ts = new Float64Array(n);
    const values = new Float64Array(n);
    let filled = 0;
    while (filled < n) {
      const head = this.chunks[0];
      const count = Math.min(n - filled, head.end - head.start);
      ts.set(head.ts.subarray(head.start, head.start + count), filled);
      values.set(head.values.subarray(head.start, head.start + count), filled);
      for (let i = 0; i < count; i += 1) {
        series[filled + i] = head.series[head.start + i]!;
        head.series[head.start + i] = undefined;
      }
      head.start += count;
      filled += count;
      if (head.start === head.end) this.chunks.shift();
    }
    this.queued -= n;
    this.inFlight += n;
    return { series, ts, values, length: n };
  }

  /** The batch was stored: it no longer counts against the capacity. */
  commit(batch: SampleBatch): void {
    this.inFlight -= batch.length;
  }

  /**
   * The batch was not stored: it goes back to the head of the queue. If the buffer
   * filled up meanwhile, the oldest samples are dropped; returns how many.
   */
  restore(batch: SampleBatch): number {
    this.inFlight -= batch.length;
    const chunk: Chunk = { series: batch.series.slice(), ts: batch.ts, values: batch.values, start: 0, end: batch.length };
    this.chunks.unshift(chunk);
    this.queued += batch.length;
    const excess = this.size - this.capacity;
    return excess > 0 ? this.dropOldest(excess) : 0;
  }

  private dropOldest(count: number): number {
    let left = Math.min(count, this.queued);
    const dropped = left;
    while (left > 0) {
      const head = this.chunks[0];
      const n = Math.min(left, head.end - head.start);
      for (let i = 0; i < n; i += 1) head.series[head.start + i] = undefined;
      head.start += n;
      left -= n;
      if (head.start === head.end) this.chunks.shift();
    }
    this.queued -= dropped;
    this.droppedTotal += dropped;
    return dropped;
  }
}
