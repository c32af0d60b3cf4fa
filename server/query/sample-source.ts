import {
  type CounterBuckets,
  counterBucketsOf,
  type MinMaxBucket,
  minMaxBucketsOf,
  type RegressionBuckets,
  regressionBucketsOf,
  type Sample,
  type ValueBuckets,
  valueBucketsOf,
} from "./buckets";
import type { SampleBudget } from "./query-cost";
import type { EvalPlan, MinMaxPlan } from "./range-plan";
import type { Labels } from "./selector";

/** What one query carries down to its reads: its cancellation, deadline (epoch ms) and sample budget. */
export interface QueryContext {
  signal?: AbortSignal;
  deadline?: number;
  budget?: SampleBudget;
  /** Statements at most this query runs at once (default: the source's parallelism); expensive queries run on one. */
  parallelism?: number;
}

/**
 * Lets pending I/O (health checks, cheap queries) run before long in-process work goes on
 * (setImmediate), then stops if the query was cancelled meanwhile.
 */
export async function yieldToEventLoop(ctx: QueryContext | undefined): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  ctx?.signal?.throwIfAborted();
}

/** A stored series as the query engine sees it. */
export interface StoredSeries {
  id: number;
  metric: string;
  labels: Labels;
  type: string;
}

/**
 * Where the query engine reads from: series by metric name, and per-bucket
 * aggregates of their samples for a plan. The Postgres adapter computes the
 * aggregates in SQL; the in-memory source computes the same from raw samples.
 */
export interface SampleSource {
  /**
   * Series of these metrics; with `having`, only (at least) those whose labels hold every one of
   * its name/value pairs — a prefilter the caller's matchers still run over.
   */
  findSeries(metrics: readonly string[], having?: Readonly<Record<string, string>>): Promise<StoredSeries[]>;
  minMaxBuckets(ids: readonly number[], plan: MinMaxPlan, ctx?: QueryContext): Promise<Map<number, (MinMaxBucket | undefined)[]>>;
  counterBuckets(ids: readonly number[], plan: EvalPlan, ctx?: QueryContext): Promise<Map<number, CounterBuckets>>;
  regressionBuckets(ids: readonly number[], plan: EvalPlan, ctx?: QueryContext): Promise<Map<number, RegressionBuckets>>;
  valueBuckets(ids: readonly number[], plan: EvalPlan, ctx?: QueryContext): Promise<Map<number, ValueBuckets>>;
  /** Staleness markers with times in (from, to], per series, ascending (series without any are absent). */
  staleMarkers(ids: readonly number[], from: number, to: number): Promise<Map<number, number[]>>;
}

/** A SampleSource over samples held in memory (tests, and a reference for the SQL). */
export class MemorySampleSource implements SampleSource {
  private readonly series: StoredSeries[] = [];
  private readonly samples = new Map<number, Sample[]>();
  private readonly markers = new Map<number, number[]>();

  add(metric: string, labels: Labels, samples: Sample[], type = "untyped"): number {
    const id = this.series.length + 1;
    this.series.push({ id, metric, labels, type });
    this.samples.set(
      id,
      [...samples].sort((a, b) => a.t - b.t),
    );
    return id;
  }

  /** Marks series `id` stale at time t (epoch ms). */
  markStale(id: number, t: number): void {
    const list = this.markers.get(id) ?? [];
    list.push(t);
    list.sort((a, b) => a - b);
    this.markers.set(id, list);
  }

  async staleMarkers(ids: readonly number[], from: number, to: number) {
    const out = new Map<number, number[]>();
    for (const id of ids) {
      const inRange = (this.markers.get(id) ?? []).filter((t) => t > from && t <= to);
      if (inRange.length > 0) out.set(id, inRange);
    }
    return out;
  }

  async findSeries(metrics: readonly string[], having: Readonly<Record<string, string>> = {}): Promise<StoredSeries[]> {
    const pairs = Object.entries(having);
    return this.series.filter((s) => metrics.includes(s.metric) && pairs.every(([name, value]) => s.labels[name] === value));
  }

  async minMaxBuckets(ids: readonly number[], plan: MinMaxPlan) {
    return new Map(ids.map((id) => [id, minMaxBucketsOf(this.samples.get(id) ?? [], plan.origin, plan.bucketMs, plan.buckets, plan.start, plan.end)]));
  }

  async counterBuckets(ids: readonly number[], plan: EvalPlan) {
    return new Map(ids.map((id) => [id, counterBucketsOf(this.samples.get(id) ?? [], plan.origin, plan.bucketMs, plan.buckets, plan.strideMs)]));
  }

  async regressionBuckets(ids: readonly number[], plan: EvalPlan) {
    return new Map(ids.map((id) => [id, regressionBucketsOf(this.samples.get(id) ?? [], plan.origin, plan.bucketMs, plan.buckets, plan.strideMs)]));
  }

  async valueBuckets(ids: readonly number[], plan: EvalPlan) {
    return new Map(ids.map((id) => [id, valueBucketsOf(this.samples.get(id) ?? [], plan.origin, plan.bucketMs, plan.buckets, plan.strideMs)]));
  }
}
