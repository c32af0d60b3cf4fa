import type { EvalPlan, MinMaxPlan } from "./range-plan";

/**
 * What one query may cost, checked before any sample is read (series × buckets: the
 * SQL work, and series × steps: the points evaluated) and while reading (samples), with
 * a deadline for the whole query. A query over the budget is refused with a message
 * that says what to narrow; nothing is half-answered.
 */
export interface QueryLimits {
  /** Series × buckets at most: each is one index probe in SQL. */
  maxBucketReads: number;
  /** Series × steps at most, evaluated in memory. */
  maxPoints: number;
  /** Raw samples aggregated at most (counted as the SQL answers arrive). */
  maxSamples: number;
  /** The whole query (all its statements); Postgres cancels a statement still running then. */
  timeoutMs: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = Object.freeze({
  maxBucketReads: 2_000_000,
  maxPoints: 2_000_000,
  maxSamples: 200_000_000,
  timeoutMs: 30_000,
});

/** A query refused for its cost (tRPC: UNPROCESSABLE_CONTENT, HTTP 422). */
export class QueryBudgetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "QueryBudgetError";
  }
}

/** A query that ran past its deadline, or whose client went away (tRPC: TIMEOUT / CLIENT_CLOSED_REQUEST). */
export class QueryCancelledError extends Error {
  constructor(
    message: string,
    readonly reason: "timeout" | "client-closed",
  ) {
    super(message);
    this.name = "QueryCancelledError";
  }
}

const fmt = (n: number) => n.toLocaleString("en-US");

/** Refuses a plan whose SQL or evaluation would exceed the limits, saying what to change. */
export function checkPlanCost(series: number, plan: EvalPlan | MinMaxPlan, limits: QueryLimits): void {
  const reads = series * plan.buckets;
  if (reads > limits.maxBucketReads) {
    throw new QueryBudgetError(
      `query too expensive: ${fmt(series)} series × ${fmt(plan.buckets)} time buckets = ${fmt(reads)} bucket reads (limit ${fmt(limits.maxBucketReads)}); ` +
        "narrow the matchers, shorten the range, or use a larger step or a window that is a multiple of the step",
    );
  }
  if (plan.kind === "eval" && series * plan.steps > limits.maxPoints) {
    throw new QueryBudgetError(
      `query too expensive: ${fmt(series)} series × ${fmt(plan.steps)} steps = ${fmt(series * plan.steps)} points (limit ${fmt(limits.maxPoints)}); narrow the matchers or use a larger step`,
    );
  }
}

/** A plan's cost for admission: bucket reads (SQL) plus points evaluated (memory). */
export function plannedCost(series: number, plan: EvalPlan | MinMaxPlan): number {
  return series * plan.buckets + (plan.kind === "eval" ? series * plan.steps : 0);
}

/** Counts samples as bucket rows arrive; throws once the budget is spent. */
export class SampleBudget {
  private read = 0;
  constructor(private readonly limit: number) {}

  add(samples: number): void {
    this.read += samples;
    if (this.read > this.limit) {
      throw new QueryBudgetError(`query too expensive: more than ${fmt(this.limit)} samples to aggregate; narrow the matchers or shorten the range`);
    }
  }

  get samples(): number {
    return this.read;
  }
}

/**
 * The longest range window allowed for a range and step: 100 × max(range, step), and
 * at least 7 days (weekly rates on short charts stay possible). Wider windows read far
 * more data than the chart shows.
 */
export function maxWindowMs(rangeMs: number, stepMs: number): number {
  return Math.max(100 * Math.max(rangeMs, stepMs), 7 * 86_400_000);
}
