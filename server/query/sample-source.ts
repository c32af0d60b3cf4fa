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
import type { EvalPlan, MinMaxPlan } from "./range-plan";
import type { Labels } from "./selector";

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
  findSeries(metrics: readonly string[]): Promise<StoredSeries[]>;
  minMaxBuckets(ids: readonly number[], plan: MinMaxPlan): Promise<Map<number, (MinMaxBucket | undefined)[]>>;
  counterBuckets(ids: readonly number[], plan: EvalPlan): Promise<Map<number, CounterBuckets>>;
  regressionBuckets(ids: readonly number[], plan: EvalPlan): Promise<Map<number, RegressionBuckets>>;
  valueBuckets(ids: readonly number[], plan: EvalPlan): Promise<Map<number, ValueBuckets>>;
}

/** A SampleSource over samples held in memory (tests, and a reference for the SQL). */
export class MemorySampleSource implements SampleSource {
  private readonly series: StoredSeries[] = [];
  private readonly samples = new Map<number, Sample[]>();

  add(metric: string, labels: Labels, samples: Sample[], type = "untyped"): number {
    const id = this.series.length + 1;
    this.series.push({ id, metric, labels, type });
    this.samples.set(
      id,
      [...samples].sort((a, b) => a.t - b.t),
    );
    return id;
  }

  async findSeries(metrics: readonly string[]): Promise<StoredSeries[]> {
    return this.series.filter((s) => metrics.includes(s.metric));
  }

  async minMaxBuckets(ids: readonly number[], plan: MinMaxPlan) {
    return new Map(ids.map((id) => [id, minMaxBucketsOf(this.samples.get(id) ?? [], plan.origin, plan.bucketMs, plan.buckets, plan.start, plan.end)]));
  }

  async counterBuckets(ids: readonly number[], plan: EvalPlan) {
    return new Map(ids.map((id) => [id, counterBucketsOf(this.samples.get(id) ?? [], plan.origin, plan.bucketMs, plan.buckets)]));
  }

  async regressionBuckets(ids: readonly number[], plan: EvalPlan) {
    return new Map(ids.map((id) => [id, regressionBucketsOf(this.samples.get(id) ?? [], plan.origin, plan.bucketMs, plan.buckets)]));
  }

  async valueBuckets(ids: readonly number[], plan: EvalPlan) {
    return new Map(ids.map((id) => [id, valueBucketsOf(this.samples.get(id) ?? [], plan.origin, plan.bucketMs, plan.buckets)]));
  }
}
